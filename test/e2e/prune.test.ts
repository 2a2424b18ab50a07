// tk prune against tart-sim: unused VMs go like `tk destroy` (worktrees with unsaved work kept),
// running ones are left alone, --dry-run changes nothing, no terminal means --force.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eWorld, ensureBuilt, type E2eWorld } from './engine-helpers.js';

beforeAll(() => ensureBuilt(), 120_000);

describe('tk prune against tart-sim', () => {
  let w: E2eWorld;
  beforeAll(() => {
    w = e2eWorld();
  });
  afterAll(async () => {
    await w.cleanup();
  }, 60_000);

  it('prunes unused stopped VMs, keeps running ones and unsaved worktrees', async () => {
    const spawned: Record<string, { name: string; worktree: string }> = {};
    for (const b of ['old/a', 'old/b', 'fresh/c']) {
      const s = await w.tk(['spawn', b, '--no-interactive', '--json']);
      expect(s.code, s.stderr).toBe(0);
      spawned[b] = (JSON.parse(s.stdout) as { data: { name: string; worktree: string } }).data;
    }
    const a = spawned['old/a'] as { name: string; worktree: string };
    const b = spawned['old/b'] as { name: string; worktree: string };
    const c = spawned['fresh/c'] as { name: string; worktree: string };
    expect((await w.tk(['halt', a.name])).code).toBe(0);
    // a: unused for 40 days, stopped, unsaved work in its worktree. b: 40 days but still running.
    writeFileSync(join(a.worktree, 'unsaved.txt'), 'work\n');
    const statePath = join(w.env['TK_HOME'] as string, 'state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { vms: { name: string; last_used: string }[] };
    for (const v of state.vms) if (v.name !== c.name) v.last_used = new Date(Date.now() - 40 * 86_400_000).toISOString();
    writeFileSync(statePath, JSON.stringify(state, null, 2));

    const dry = await w.tk(['prune', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).data).toMatchObject({ days: 30, dry_run: true, would_prune: [a.name], skipped: [{ name: b.name }] });
    expect(w.tart(['list', '--quiet'])).toContain(a.name);

    const noTty = await w.tk(['prune']);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/without confirmation.*\n.*tk prune --force/s);
    expect((await w.tk(['prune', '--days', 'soon'])).code).toBe(2);

    const r = await w.tk(['prune', '--force', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout).data as { pruned: string[]; worktrees_kept: { name: string }[]; skipped: { name: string }[] };
    expect(data.pruned).toEqual([a.name]);
    expect(data.worktrees_kept.map((k) => k.name)).toEqual([a.name]);
    expect(existsSync(join(a.worktree, 'unsaved.txt'))).toBe(true);
    const left = w.tart(['list', '--quiet']);
    expect(left).not.toContain(a.name);
    expect(left).toContain(b.name);
    expect(left).toContain(c.name);
    const names = (JSON.parse((await w.tk(['list', '--json'])).stdout) as { name: string }[]).map((v) => v.name);
    expect(names).toEqual(expect.arrayContaining([b.name, c.name]));
    expect(names).not.toContain(a.name);

    // Human output, tachikoma's wording; nothing left to prune with a longer horizon.
    const again = await w.tk(['prune', '--days', '365', '--force']);
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toBe('No VMs to prune\n');
  }, 120_000);
});
