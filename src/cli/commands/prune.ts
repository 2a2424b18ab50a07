import { TkError } from '../../core/errors.js';
import type { DestroyReport } from '../../core/model.js';
import { parseDays, selectStale } from '../../core/prune.js';
import { defineCommand } from '../command.js';
import { confirm } from '../prompt.js';

export default defineCommand({
  name: 'prune',
  aliases: [],
  summary: 'Delete VMs unused for N days (default prune_after_days)',
  usage: 'prune [--days N] [--dry-run] [--force]',
  description:
    "Finds tk's VMs whose last use (spawn or enter) is more than N days ago and destroys each like\n" +
    '`tk destroy`: VM, state and logs, and the worktree when it has no uncommitted or unpushed work\n' +
    '(otherwise the worktree is kept and said so). Running VMs are left alone. Lists them and asks;\n' +
    'without a terminal, --force is required. --dry-run only lists.',
  flags: {
    days: { type: 'string', valueName: 'N', description: 'Unused for more than N days (default: prune_after_days, 30)' },
    'dry-run': { type: 'boolean', description: 'List what would be pruned; change nothing' },
    force: { type: 'boolean', short: 'f', description: 'Do not ask' },
  },
  examples: ['tk prune --dry-run', 'tk prune --days 14', 'tk prune --force --json'],
  async run(ctx, args) {
    const { service, config } = await ctx.service();
    const rawDays = args.flags['days'];
    let days = config.prune_after_days;
    if (typeof rawDays === 'string') {
      const d = parseDays(rawDays);
      if (d === null) throw new TkError('usage', `Invalid --days ${JSON.stringify(rawDays)}: expected a whole number of days (0 or more).`, { hint: 'For example: tk prune --days 14' });
      days = d;
    }
    const cutoff = Date.now() - days * 86_400_000;
    const { stale, running } = selectStale(await service.list(), cutoff);
    const dryRun = args.flags['dry-run'] === true;
    const skipped = running.map((v) => ({ name: v.name, reason: 'running (halt it first, or tk destroy it)' }));
    const base = { days, cutoff: new Date(cutoff).toISOString(), dry_run: dryRun, skipped };
    const skippedText = skipped.map((s) => `Skipped: ${s.name} (${s.reason})`);
    if (stale.length === 0) {
      ctx.out.success('No VMs to prune', { ...base, pruned: [], worktrees_kept: [] }, ['No VMs to prune', ...skippedText].join('\n'));
      return 0;
    }
    const names = stale.map((v) => v.name);
    if (dryRun) {
      ctx.out.success(`Would prune ${names.length} VM(s)`, { ...base, pruned: [], would_prune: names, worktrees_kept: [] }, [...names.map((n) => `Would prune: ${n}`), ...skippedText].join('\n'));
      return 0;
    }
    if (args.flags['force'] !== true) {
      if (!ctx.interactive) {
        throw new TkError('usage', `Refusing to prune ${names.length} VM(s) without confirmation: no terminal to ask on.`, { hint: 'Run `tk prune --dry-run` to see them, then `tk prune --force`.' });
      }
      const list = stale.map((v) => `  ${v.name} (last used ${v.last_used ?? '?'})`).join('\n');
      if (!(await confirm(ctx, `Unused for more than ${days} day(s):\n${list}\nEach goes like tk destroy (worktrees with unsaved work are kept). Proceed?`))) {
        ctx.out.success('Nothing pruned', { ...base, pruned: [], worktrees_kept: [] }, 'Nothing pruned.');
        return 1;
      }
    }
    const pruned: string[] = [];
    const kept: { name: string; reason: string }[] = [];
    const failed: { name: string; error: string }[] = [];
    for (const v of stale) {
      let r: DestroyReport;
      try {
        r = await service.destroy(v.name, { discardChanges: false, signal: ctx.signal });
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        failed.push({ name: v.name, error: e instanceof Error ? e.message : String(e) });
        continue;
      }
      pruned.push(v.name);
      if (r.worktreeKeptReason) kept.push({ name: v.name, reason: r.worktreeKeptReason });
    }
    const human = [
      ...pruned.map((n) => `Pruned: ${n}`),
      ...kept.map((k) => `  worktree of ${k.name} kept: ${k.reason}`),
      ...failed.map((f) => `Failed: ${f.name}: ${f.error}`),
      ...skippedText,
    ].join('\n');
    const data = { ...base, pruned, worktrees_kept: kept, failed };
    if (failed.length > 0) {
      // Partly done: the same envelope with success false, and exit 1.
      if (ctx.json) ctx.out.document({ data, message: `Pruned ${pruned.length} VM(s), ${failed.length} failed`, success: false });
      else ctx.out.text(`${human}\n`);
      return 1;
    }
    ctx.out.success(`Pruned ${pruned.length} VM(s)`, data, human);
    return 0;
  },
});
