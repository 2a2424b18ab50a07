import type { SpawnResult } from '../../core/model.js';
import { defineCommand, type CommandContext } from '../command.js';
import { spawnText, VERB } from '../spawn-result.js';

/** Hands the terminal to `ssh` for an interactive session; resolves with its exit code. */
export async function enterInteractive(ctx: CommandContext, name: string, agent: boolean): Promise<number> {
  const { service } = await ctx.service();
  const cmd = await service.enterCommand(name, { agent, ...(ctx.env['TERM'] ? { term: ctx.env['TERM'] } : {}) });
  const { runInteractive } = await import('../../adapters/openssh.js');
  return ctx.withTerminal(() => runInteractive(cmd, ctx.env));
}

export default defineCommand({
  name: 'spawn',
  summary: "Create, start or reconnect the current (or given) branch's VM, then enter it",
  usage: 'spawn [BRANCH] [--no-interactive]',
  description:
    'Prepares the branch\'s worktree (reusing an existing one, creating the branch from HEAD if\n' +
    'missing), then: a running VM is reconnected, a suspended one resumed, a stopped one started,\n' +
    'and a missing one cloned from base_image. Provisioning that did not finish (or was\n' +
    'interrupted) is completed; the worktree is mounted again on every start. On a terminal, ends\n' +
    'in an interactive shell in the VM.',
  positionals: [{ name: 'BRANCH', description: 'Branch (default: the current branch)' }],
  flags: { 'no-interactive': { type: 'boolean', description: 'Do not open a shell afterwards' } },
  examples: ['tk spawn', 'tk spawn feature/login --no-interactive', 'tk feature/login'],
  async run(ctx, args) {
    const { service } = await ctx.service();
    const progress = ctx.progress();
    let r: SpawnResult;
    try {
      r = await service.spawn({ cwd: ctx.cwd, onProgress: progress.onProgress, signal: ctx.signal, ...(args.positionals[0] !== undefined ? { branch: args.positionals[0] } : {}) });
    } finally {
      progress.done();
    }
    const human = spawnText(r);
    if (ctx.json || args.flags['no-interactive'] || !ctx.interactive) {
      ctx.out.success(`${VERB[r.kind]} ${r.name}`, r, human);
      return 0;
    }
    ctx.out.info(human.trimEnd());
    return enterInteractive(ctx, r.name, false);
  },
});
