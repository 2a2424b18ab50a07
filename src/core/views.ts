// The live view of VMs: tk's records merged with `tart list`. Pure (shared by `tk list`/`status`
// and the service).
import type { TartVm, VmRecord, VmView } from './model.js';
import { VM_PREFIX } from './naming.js';

function fromRecord(r: VmRecord, t: TartVm | undefined, tartKnown: boolean): VmView {
  const status: VmView['status'] = t ? t.state : tartKnown ? 'missing' : r.status;
  return {
    name: r.name,
    repo: r.repo,
    branch: r.branch,
    status,
    tracked: true,
    // A stored IP is only meaningful while the VM runs (a stopped VM's lease is stale).
    ip: status === 'running' ? r.ip : null,
    worktree: r.worktree_path,
    last_used: r.last_used,
    created_at: r.created_at,
    disk_gb: t ? t.diskGb : null,
    size_gb: t ? t.sizeGb : null,
    phase: r.provision?.phase ?? null,
    provision_result: r.provision?.result ?? null,
    provision_error: r.provision?.error ?? null,
  };
}

function untracked(t: TartVm): VmView {
  return {
    name: t.name,
    repo: null,
    branch: null,
    status: t.state,
    tracked: false,
    ip: null,
    worktree: null,
    last_used: t.accessed ?? null,
    created_at: null,
    disk_gb: t.diskGb,
    size_gb: t.sizeGb,
    phase: null,
    provision_result: null,
    provision_error: null,
  };
}

/**
 * Records first (state order), each with Tart's live state or `missing` when Tart has no such VM;
 * then `tachikoma-*` VMs Tart has but tk does not track (`tracked: false`), by name.
 * `tart === null` (Tart could not be asked): stored statuses, nothing untracked.
 */
export function mergeViews(records: readonly VmRecord[], tart: readonly TartVm[] | null, opts: { repo?: string } = {}): VmView[] {
  const local = new Map<string, TartVm>();
  for (const t of tart ?? []) if (t.source === 'local') local.set(t.name, t);
  const known = new Set(records.map((r) => r.name));
  const repoMatch = (r: VmRecord) => opts.repo === undefined || r.repo === opts.repo || r.repo_root === opts.repo;
  const views = records.filter(repoMatch).map((r) => fromRecord(r, local.get(r.name), tart !== null));
  if (opts.repo === undefined) {
    const extra = [...local.values()].filter((t) => t.name.startsWith(VM_PREFIX) && !known.has(t.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
    views.push(...extra.map(untracked));
  }
  return views;
}

/** `2026-01-15 18:01` in UTC (tachikoma's table format); `-` when absent or unparsable. */
export function formatUtcMinute(iso: string | null): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '-';
  return d.toISOString().slice(0, 16).replace('T', ' ');
}
