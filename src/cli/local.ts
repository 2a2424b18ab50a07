// Read-only data for list/status/cd/logs without building the whole service: the config, the
// state file and one `tart list`. Keeps `tk list --json` fast (no ssh2, ink, undici here).
import { TkError } from '../core/errors.js';
import type { VmRecord, VmView } from '../core/model.js';
import { resolveVmName } from '../core/naming.js';
import { findVm } from '../core/state.js';
import { mergeViews } from '../core/views.js';
import { openStateStore } from '../adapters/state-store.js';
import { tartList } from '../adapters/tart-list.js';
import type { CommandContext } from './command.js';

export async function readRecords(ctx: CommandContext): Promise<VmRecord[]> {
  const cfg = await ctx.config();
  const store = openStateStore({ paths: cfg.paths, tachikomaDir: null });
  return (await store.read()).vms;
}

/** Views merged with Tart; when Tart cannot be asked, stored statuses and a warning. */
export async function readViews(ctx: CommandContext, opts: { repo?: string } = {}): Promise<VmView[]> {
  // TK_TART wins over the tart_path key, so with it set tart is asked while the config and the
  // state file are still being read.
  const tartPath = ctx.env['TK_TART'] ? Promise.resolve(ctx.env['TK_TART']) : ctx.config().then((c) => c.tartPath);
  const tart = tartPath
    .then((p) => tartList(p, { env: ctx.env, signal: ctx.signal }))
    .catch((e: unknown) => {
      if (ctx.signal.aborted) throw new TkError('interrupted', 'Interrupted while asking tart for its VMs.');
      return e instanceof Error ? e : new Error(String(e));
    });
  tart.catch(() => undefined); // awaited below; never an unhandled rejection if the state read fails first
  const records = await readRecords(ctx);
  const listed = await tart;
  if (listed instanceof Error) {
    const hint = listed instanceof TkError && listed.hint ? `\n  ${listed.hint}` : '';
    ctx.out.warn(`${listed.message} Showing the statuses tk last recorded.${hint}`);
  }
  return mergeViews(records, listed instanceof Error ? null : listed, opts);
}

/**
 * NAME as given (verbatim, like tachikoma), else the VM of the current branch of the repository
 * containing cwd (the main repository's name, even from a linked worktree).
 */
export async function resolveName(ctx: CommandContext, name: string | undefined, records?: readonly VmRecord[]): Promise<string> {
  if (name !== undefined) return name;
  const { createGit } = await import('../adapters/git.js');
  const git = createGit({ env: ctx.env });
  const info = await git.repoInfo(ctx.cwd);
  const branch = await git.currentBranch(ctx.cwd);
  const recs = records ?? (await readRecords(ctx));
  return resolveVmName(info.repoName, branch, recs, info.mainRoot);
}

export function notFound(name: string): TkError {
  return new TkError('vm', `No VM named ${JSON.stringify(name)}.`, { hint: 'See `tk list` for the VMs tk knows, or create it with `tk spawn BRANCH`.' });
}

export async function findRecord(ctx: CommandContext, name: string | undefined): Promise<VmRecord> {
  const records = await readRecords(ctx);
  const resolved = await resolveName(ctx, name, records);
  const rec = findVm({ version: 0, vms: records }, resolved);
  if (!rec) throw notFound(resolved);
  return rec;
}
