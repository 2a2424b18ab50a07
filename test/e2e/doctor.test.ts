// tk doctor against tart-sim: all checks pass in a working world; a missing tart binary and a corrupt
// state file are failures that say what to do (exit 1); nothing is changed by running it.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eWorld, ensureBuilt, type E2eWorld } from './engine-helpers.js';

beforeAll(() => ensureBuilt(), 120_000);

interface Row {
  check: string;
  level: string;
  message: string;
  passed: boolean;
}

describe('tk doctor against tart-sim', () => {
  let w: E2eWorld;
  beforeAll(() => {
    w = e2eWorld();
  });
  afterAll(async () => {
    await w.cleanup();
  }, 60_000);

  it('passes in a working world, in words and in JSON', async () => {
    const home = w.env['TK_HOME'] as string;
    const before = readdirSync(home).sort();
    const r = await w.tk(['doctor']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\[ok\] tart: Found: .+\(.*tart-sim, from TK_TART\)$/m);
    for (const name of ['git', 'ssh', 'ssh-keygen', 'config', 'home', 'state', 'proxy']) expect(r.stdout).toMatch(new RegExp(`^\\[ok\\] ${name}: `, 'm'));
    expect(r.stdout).toMatch(/^\[ok\] proxy: 127\.0\.0\.1:\d+ is free/m);
    expect(r.stdout).toContain(`[ok] config: read ${join(home, 'config.toml')}`);
    expect(r.stdout).not.toMatch(/\[FAIL\]/);
    // doctor writes nothing into TK_HOME (no import marker, no state file, no proxy files)
    expect(readdirSync(home).sort()).toEqual(before);

    const j = await w.tk(['doctor', '--json']);
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout) as { data: Row[]; message: string; success: boolean };
    expect(doc.success).toBe(true);
    expect(doc.data.map((c) => c.check)).toEqual(['tart', 'git', 'ssh', 'ssh-keygen', 'gh', 'config', 'home', 'state', 'proxy', 'base-image']);
    for (const c of doc.data) expect(c.passed).toBe(c.level !== 'fail');
  }, 60_000);

  it('sees the base image once tart has it', async () => {
    const before = JSON.parse((await w.tk(['doctor', '--json'])).stdout) as { data: Row[] };
    const img = before.data.find((c) => c.check === 'base-image');
    if (img?.level === 'warn') expect(img.message).toContain('tart pull ghcr.io/cirruslabs/ubuntu:latest');
    w.tart(['pull', 'ghcr.io/cirruslabs/ubuntu:latest']);
    const after = await w.tk(['doctor']);
    expect(after.stdout).toContain('[ok] base-image: ghcr.io/cirruslabs/ubuntu:latest is present');
  }, 60_000);

  it("sees tk's own proxy on the port as fine", async () => {
    const started = await w.tk(['proxy', 'start', '-d']);
    expect(started.code, started.stderr).toBe(0);
    try {
      const r = await w.tk(['doctor']);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/^\[ok\] proxy: tk's credential proxy is running at 127\.0\.0\.1:\d+ \(PID \d+\)$/m);
    } finally {
      await w.tk(['proxy', 'stop']);
    }
  }, 60_000);

  it('fails on a missing tart binary, with the fix, exit 1', async () => {
    const missing = join(w.parent, 'no-such-tart');
    // w.env is the environment every w.tk call runs with
    const saved = w.env['TK_TART'];
    w.env['TK_TART'] = missing;
    try {
      await failsWithoutTart(missing);
    } finally {
      w.env['TK_TART'] = saved;
    }
  }, 60_000);

  async function failsWithoutTart(missing: string): Promise<void> {
    const r = await w.tk(['doctor']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`[FAIL] tart: ${missing} not found (from TK_TART). Install Tart (brew install cirruslabs/cli/tart), or point tk at a tart binary with TK_TART or the tart_path config key.`);
    expect(r.stdout).toMatch(/^\[warn\] base-image: .*not checked \(tart does not run\)$/m);
    expect(r.stdout).toMatch(/^1 check\(s\) failed/m);
    const j = await w.tk(['doctor', '--json']);
    expect(j.code).toBe(1);
    const doc = JSON.parse(j.stdout) as { data: Row[]; success: boolean };
    expect(doc.success).toBe(false);
    expect(doc.data[0]).toMatchObject({ check: 'tart', level: 'fail', passed: false });
  }

  it('fails on a corrupt state file, naming it, and leaves the file alone', async () => {
    const file = join(w.env['TK_HOME'] as string, 'state.json');
    writeFileSync(file, '{"version": 2, "vms": [');
    const r = await w.tk(['doctor']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^\\[FAIL\\] state: The state file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is corrupt: not valid JSON.*Repair .* by hand`, 'm'));
    expect(readFileSync(file, 'utf8')).toBe('{"version": 2, "vms": [');
    expect(readdirSync(w.env['TK_HOME'] as string).filter((f) => f.includes('corrupt'))).toEqual([]);
  }, 60_000);
});
