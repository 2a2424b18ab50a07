import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTachikoma, JsonFileStateStore } from '../../src/adapters/state-store.js';

const dir = mkdtempSync(join(tmpdir(), 'tk-state-'));
const worker = join(dir, 'worker.mjs');
const fixture = readFileSync(join(import.meta.dirname, '../fixtures/tachikoma-state-v1.json'), 'utf8');

beforeAll(async () => {
  const entry = join(dir, 'worker-src.ts');
  writeFileSync(
    entry,
    `import { JsonFileStateStore } from ${JSON.stringify(join(import.meta.dirname, '../../src/adapters/state-store.ts'))};
const [path, vm, n] = process.argv.slice(2);
const store = new JsonFileStateStore(path);
for (let i = 0; i < Number(n); i++) {
  await store.update((s) => {
    const rec = s.vms.find((v) => v.name === vm);
    if (rec) rec.last_used = String(Number(rec.last_used) + 1);
    else s.vms.push({ name: vm, repo: 'r', branch: vm, worktree_path: '/w', created_at: 'c', last_used: '1', status: i % 2 ? 'running' : 'stopped', ip: null });
  });
}
`,
  );
  await build({ entryPoints: [entry], outfile: worker, bundle: true, platform: 'node', format: 'esm', logLevel: 'error' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JsonFileStateStore', () => {
  it('20 processes doing read-modify-write on different VMs lose nothing', async () => {
    const path = join(dir, 'c', 'state.json');
    const N = 20;
    const ITER = 5;
    const codes = await Promise.all(
      Array.from({ length: N }, (_, i) => new Promise<number>((res) => {
        const p = spawn(process.execPath, [worker, path, `vm-${i}`, String(ITER)], { stdio: ['ignore', 'ignore', 'inherit'] });
        p.on('close', (c) => res(c ?? 1));
      })),
    );
    expect(codes.every((c) => c === 0)).toBe(true);
    const s = await new JsonFileStateStore(path).read();
    expect(s.vms).toHaveLength(N);
    // every increment of every process landed
    for (const v of s.vms) expect(v.last_used).toBe(String(ITER));
    expect(readdirSync(join(dir, 'c')).sort()).toEqual(['state.json']);
  }, 120_000);

  it('breaks a stale lock left by a dead process', async () => {
    const path = join(dir, 'stale', 'state.json');
    mkdirSync(join(dir, 'stale'));
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, token: 'x', at: 0 }));
    const store = new JsonFileStateStore(path);
    await store.update((s) => void s.vms.push({ name: 'a', repo: 'r', branch: 'a', worktree_path: '/', created_at: 'c', last_used: 'l', status: 'stopped', ip: null }));
    expect((await store.read()).vms).toHaveLength(1);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('a corrupt file is reported, backed up and never reset', async () => {
    const path = join(dir, 'corrupt', 'state.json');
    mkdirSync(join(dir, 'corrupt'));
    writeFileSync(path, '{"version":1,"vms":[');
    const store = new JsonFileStateStore(path);
    await expect(store.read()).rejects.toMatchObject({ code: 'state', message: expect.stringMatching(/corrupt.*copy is saved/), hint: expect.stringMatching(/never resets/) });
    await expect(store.update(() => undefined)).rejects.toMatchObject({ code: 'state' });
    expect(readFileSync(path, 'utf8')).toBe('{"version":1,"vms":[');
    const backups = readdirSync(join(dir, 'corrupt')).filter((f) => f.includes('.corrupt-'));
    expect(backups).toHaveLength(1);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('imports tachikoma state and config once, never writing its files', async () => {
    const legacy = join(dir, 'legacy');
    mkdirSync(legacy);
    writeFileSync(join(legacy, 'state.json'), fixture);
    writeFileSync(join(legacy, 'config.toml'), 'vm_cpus = 2\n');
    const home = join(dir, 'tkhome');
    const notes = importTachikoma({ legacyDir: legacy, statePath: join(home, 'state.json'), configPath: join(home, 'config.toml') });
    expect(notes.join('\n')).toMatch(/config.*\n.*2 VM record/);
    const s = await new JsonFileStateStore(join(home, 'state.json')).read();
    expect(s.vms.map((v) => v.name)).toEqual(['tachikoma-myapp-feature-auth-system', 'tachikoma-myapp-main']);
    expect(readFileSync(join(legacy, 'state.json'), 'utf8')).toBe(fixture);
    expect(readdirSync(legacy).sort()).toEqual(['config.toml', 'state.json']);
    expect(importTachikoma({ legacyDir: legacy, statePath: join(home, 'state.json'), configPath: join(home, 'config.toml') })).toEqual([]);
  });
});
