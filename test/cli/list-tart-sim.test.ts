// tk list/status against the real `tart list --format json` of tart-sim (Tart 2.35 format).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TART_SIM, ensureBuilt, makeSimEnv, tartSim, type SimEnv } from '../sim/helpers.js';
import { tempDir } from '../helpers/git-repo.js';
import { tk } from './helpers.js';

let sim: SimEnv;
beforeAll(() => {
  ensureBuilt();
  sim = makeSimEnv();
}, 120_000);
afterAll(() => sim.cleanup());

describe('tk list with tart-sim', () => {
  it('merges live Tart state: tracked, missing and untracked VMs', async () => {
    for (const name of ['tachikoma-myapp-main', 'tachikoma-other-untracked']) {
      const r = await tartSim(['create', '--linux', name], { env: sim.env });
      expect(r.code, r.stderr).toBe(0);
    }
    const home = tempDir();
    const rec = (name: string, branch: string) => ({ name, repo: 'myapp', branch, worktree_path: `/w/${branch}`, created_at: '2026-03-01T08:00:00Z', last_used: '2026-03-02T09:30:00Z', status: 'running', ip: '127.64.0.9' });
    writeFileSync(join(home, 'state.json'), JSON.stringify({ version: 1, vms: [rec('tachikoma-myapp-main', 'main'), rec('tachikoma-myapp-deleted', 'deleted')] }));
    const env = { ...process.env, ...sim.env, TK_HOME: home, HOME: home, TK_TART: TART_SIM };
    const r = await tk(['list', '--json'], { env, cwd: home });
    expect(r.code, r.stderr).toBe(0);
    const views = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(views.map((v) => [v['name'], v['status'], v['tracked'], v['ip']])).toEqual([
      ['tachikoma-myapp-main', 'stopped', true, null],
      ['tachikoma-myapp-deleted', 'missing', true, null],
      ['tachikoma-other-untracked', 'stopped', false, null],
    ]);
    expect(views[0]).toMatchObject({ disk_gb: 50 });
    const s = await tk(['status', 'tachikoma-other-untracked'], { env, cwd: home });
    expect(s.stdout).toMatch(/^Status: {4}stopped \(not tracked by tk\)$/m);
  });
});
