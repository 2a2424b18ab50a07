import { TkError } from '../../core/errors.js';
import type { DestroyPlan } from '../../core/model.js';
import { defineCommand } from '../command.js';
import { resolveName } from '../local.js';
import { confirm } from '../prompt.js';

function describe(p: DestroyPlan, discard: boolean): string {
  const lines = [`This will remove:`];
  lines.push(p.vmExists ? `  VM ${p.name} (${p.diskSizeGb ?? '?'} GB on disk)` : `  tk's record of ${p.name} (the VM is already gone from Tart)`);
  lines.push(`  its state and logs`);
  if (p.worktree) {
    if (p.worktreeIsMain) lines.push(`  (kept) ${p.worktree}: the main checkout is never removed`);
    else {
      const dirty = p.uncommittedChanges > 0 || p.unpushedCommits > 0;
      const counts = `${p.uncommittedChanges} uncommitted change(s), ${p.unpushedCommits} unpushed commit(s)`;
      lines.push(dirty && !discard ? `  (kept) worktree ${p.worktree}: ${counts}; --discard-changes removes it` : `  worktree ${p.worktree} (${counts})`);
    }
  }
  if (p.branch) lines.push(`The branch ${p.branch} is kept.`);
  return lines.join('\n');
}

export default defineCommand({
  name: 'destroy',
  aliases: ['delete'],
  summary: 'Delete a VM, its state and logs, and its worktree when clean',
  usage: 'destroy [NAME] [--force] [--discard-changes]',
  description:
    'Lists what will go (the VM and its disk size, the worktree with its uncommitted changes and\n' +
    'unpushed commits) and asks. The branch is kept; the main checkout is never touched. A worktree\n' +
    'with uncommitted or unpushed work is removed only with --discard-changes. Without a terminal,\n' +
    '--force is required.',
  positionals: [{ name: 'NAME', description: "VM name (default: the current branch's VM)" }],
  flags: {
    force: { type: 'boolean', short: 'f', description: 'Do not ask' },
    'discard-changes': { type: 'boolean', description: 'Remove the worktree even with uncommitted or unpushed work' },
  },
  examples: ['tk destroy', 'tk destroy tachikoma-myapp-old --force', 'tk delete --force --discard-changes'],
  async run(ctx, args) {
    const name = await resolveName(ctx, args.positionals[0]);
    const { service } = await ctx.service();
    const discard = args.flags['discard-changes'] === true;
    const plan = await service.destroyPlan(name);
    if (args.flags['force'] !== true) {
      if (!ctx.interactive) {
        throw new TkError('usage', `Refusing to destroy ${name} without confirmation: no terminal to ask on.`, { hint: `Run \`tk destroy ${name} --force\` (add --discard-changes to drop unsaved work too).` });
      }
      if (!(await confirm(ctx, describe(plan, discard) + '\nProceed?'))) {
        ctx.out.success('Nothing destroyed', { name, destroyed: false }, 'Nothing destroyed.');
        return 1;
      }
    } else ctx.out.info(describe(plan, discard));
    const r = await service.destroy(name, { discardChanges: discard, signal: ctx.signal });
    const human = `Destroyed ${name}${r.worktreeKeptReason ? `\n  worktree kept: ${r.worktreeKeptReason}` : r.worktreeRemoved ? '\n  worktree removed' : ''}`;
    ctx.out.success(`Destroyed ${name}`, r, human);
    return 0;
  },
});
