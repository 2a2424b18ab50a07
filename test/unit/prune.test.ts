import { describe, expect, it } from 'vitest';
import type { VmView } from '../../src/core/model.js';
import { parseDays, selectStale } from '../../src/core/prune.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const DAY = 86_400_000;
function vm(name: string, daysAgo: number | null, over: Partial<VmView> = {}): VmView {
  return {
    name,
    repo: 'r',
    branch: name,
    status: 'stopped',
    tracked: true,
    ip: null,
    worktree: null,
    last_used: daysAgo === null ? null : new Date(NOW - daysAgo * DAY).toISOString(),
    created_at: null,
    disk_gb: null,
    size_gb: null,
    phase: null,
    provision_result: null,
    provision_error: null,
    ...over,
  };
}

describe('prune selection', () => {
  it('picks tracked VMs unused for longer than the cutoff, oldest first, and sets running ones apart', () => {
    const views = [
      vm('fresh', 3),
      vm('old', 40),
      vm('older', 90),
      vm('old-running', 60, { status: 'running' }),
      vm('old-untracked', 100, { tracked: false }),
      vm('never-used', null),
      vm('garbled', null, { last_used: 'yesterday' }),
      vm('old-missing', 50, { status: 'missing' }),
    ];
    const s = selectStale(views, NOW - 30 * DAY);
    expect(s.stale.map((v) => v.name)).toEqual(['older', 'old-missing', 'old']);
    expect(s.running.map((v) => v.name)).toEqual(['old-running']);
    // Exactly at the cutoff is not stale; 0 days: everything used before now.
    expect(selectStale([vm('edge', 30)], NOW - 30 * DAY).stale).toEqual([]);
    expect(selectStale([vm('a', 0.001)], NOW).stale.map((v) => v.name)).toEqual(['a']);
  });

  it('reads --days as a whole number of days only', () => {
    expect(parseDays('0')).toBe(0);
    expect(parseDays('14')).toBe(14);
    for (const bad of ['', '-1', '1.5', 'abc', '1e3', ' 7', '9999999']) expect(parseDays(bad), bad).toBeNull();
  });
});
