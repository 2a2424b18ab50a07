// `tk prune` (tachikoma §8): which VMs have gone unused for N days (pure).
import type { VmView } from './model.js';

export interface PruneSelection {
  /** Stale and not running: to delete, oldest first. */
  stale: VmView[];
  /** Stale but running: left alone (someone may be in it; `tk destroy` removes it). */
  running: VmView[];
}

/**
 * tk's VMs whose `last_used` (set by spawn and enter) is before `cutoffMs`. A VM with no or an
 * unreadable `last_used` is never stale; VMs tk does not track are never touched.
 */
export function selectStale(views: readonly VmView[], cutoffMs: number): PruneSelection {
  const stale: VmView[] = [];
  const running: VmView[] = [];
  const at = (v: VmView) => Date.parse(v.last_used ?? '');
  for (const v of views) {
    const t = at(v);
    if (!v.tracked || Number.isNaN(t) || t >= cutoffMs) continue;
    (v.status === 'running' ? running : stale).push(v);
  }
  stale.sort((a, b) => at(a) - at(b));
  running.sort((a, b) => at(a) - at(b));
  return { stale, running };
}

/** `--days` as given on the command line: a whole number of days, 0 or more. */
export function parseDays(raw: string): number | null {
  return /^\d{1,6}$/.test(raw) ? Number(raw) : null;
}
