import { TkError } from '../../core/errors.js';
import { defineCommand } from '../command.js';
import { resolveName } from '../local.js';
import { enterInteractive } from './spawn.js';
import { confirm } from '../prompt.js';

export default defineCommand({
  name: 'enter',
  summary: 'Open a shell in a VM (--agent: start Claude Code)',
  usage: 'enter [NAME] [--agent]',
  description:
    'Interactive OpenSSH with tk\'s key and a per-VM known_hosts; TERM is passed through (falling\n' +
    'back to xterm-256color when the guest lacks its terminfo). Connection reuse (ControlMaster)\n' +
    'makes re-entering a running VM near-instant. A stopped VM: offers to start it on a terminal.',
  positionals: [{ name: 'NAME', description: "VM name (default: the current branch's VM)" }],
  flags: { agent: { type: 'boolean', description: 'Run claude (with claude_flags) in the worktree' } },
  examples: ['tk enter', 'tk enter --agent', 'tk enter tachikoma-myapp-feature-x'],
  async run(ctx, args) {
    const name = await resolveName(ctx, args.positionals[0]);
    const { service } = await ctx.service();
    const view = await service.status(name);
    if (view.status !== 'running') {
      if (!ctx.interactive) {
        throw new TkError('vm', `The VM ${name} is ${view.status}.`, { hint: view.status === 'missing' ? `Recreate it with \`tk spawn ${view.branch ?? 'BRANCH'}\`.` : `Start it with \`tk resume ${name}\`, then \`tk enter ${name}\`.` });
      }
      if (view.status === 'missing' || !(await confirm(ctx, `${name} is ${view.status}. Start it?`))) {
        throw new TkError('vm', `The VM ${name} is ${view.status}: not entered.`, { hint: `Start it with \`tk resume ${name}\`.` });
      }
      const progress = ctx.progress();
      try {
        await service.resume(name, { onProgress: progress.onProgress, signal: ctx.signal });
      } finally {
        progress.done();
      }
    }
    return enterInteractive(ctx, name, args.flags['agent'] === true);
  },
});
