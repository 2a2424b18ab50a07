import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, isStale, processStartTime } from '../../src/adapters/file-lock.js';
import { tkPaths } from '../../src/adapters/paths.js';
import { openStateStore } from '../../src/adapters/state-store.js';
import { TkError } from '../../src/core/errors.js';
import { upsertVm } from '../../src/core/state.js';
import { buildProxyEntry } from '../proxy/build-entry.js';
import { tempDir } from '../helpers/git-repo.js';

const run = promisify(execFile);
const fixture = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const v1 = readFileSync(fixture('../fixtures/tachikoma-state-v1.json'), 'utf8');

function store(home: string, tachikomaDir: string | null = null) {
  return openStateStore({ paths: tkPaths({ TK_HOME: home }), tachikomaDir });
}

describe('JsonFileStateStore', () => {
  let worker = '';
  beforeAll(async () => {
    worker = await buildProxyEntry('test/adapters/fixtures/state-worker.ts', 'state-worker');
  }, 60_000);

  it('20 processes doing read-modify-write on different VMs lose nothing', async () => {
    const home = tempDir();
    const env = { ...process.env, TK_HOME: home };
    await Promise.all(Array.from({ length: 20 }, (_, i) => run(process.execPath, [worker, String(i + 1), '5'], { env })));
    const s = await store(home).read();
    expect(s.vms.map((v) => v.name).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `tachikoma-repo-w${i + 1}`).sort());
    for (const v of s.vms) expect((v as unknown as Record<string, unknown>)['counter']).toBe(5);
    expect(readdirSync(home).filter((f) => f.includes('.tmp-') || f.endsWith('.lock'))).toEqual([]);
  }, 120_000);

  it('reads a tachikoma v1 file and writes tk version 2 with the same fields in the same order', async () => {
    const home = tempDir();
    writeFileSync(join(home, 'state.json'), v1);
    const st = store(home);
    const s = await st.read();
    expect(s.version).toBe(1);
    expect(s.vms[0]).toMatchObject({ name: 'tachikoma-myapp-main', status: 'running', ip: '192.168.64.12' });
    await st.update((x) => {
      x.vms[1]!.status = 'running';
    });
    const out = JSON.parse(readFileSync(join(home, 'state.json'), 'utf8'));
    expect(out.version).toBe(2);
    expect(Object.keys(out.vms[0])).toEqual(['name', 'repo', 'branch', 'worktree_path', 'created_at', 'last_used', 'status', 'ip']);
    expect(out.vms[0].created_at).toBe('2026-01-14T09:12:33.123456789Z');
  });

  it('a corrupt file is reported with a hint, backed up, and never reset', async () => {
    const home = tempDir();
    writeFileSync(join(home, 'state.json'), '{"version": 1, "vms": [');
    const st = store(home);
    const err = await st.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TkError);
    expect((err as TkError).message).toMatch(/corrupt/);
    expect((err as TkError).hint).toMatch(/state\.json\.corrupt-/);
    await expect(st.update((s) => upsertVm(s, { name: 'x', repo: 'r', branch: 'b', worktree_path: '/', created_at: '', last_used: '', status: 'running', ip: null }))).rejects.toThrow(/corrupt/);
    expect(readFileSync(join(home, 'state.json'), 'utf8')).toBe('{"version": 1, "vms": [');
    expect(readdirSync(home).filter((f) => f.startsWith('state.json.corrupt-')).length).toBe(1);
  });

  it('an aborted update writes nothing', async () => {
    const home = tempDir();
    const st = store(home);
    await expect(st.update(() => {
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(existsSync(join(home, 'state.json'))).toBe(false);
  });

  it('imports the Rust tool state and config once, says so, never writes its files', async () => {
    const home = tempDir();
    const rust = tempDir();
    writeFileSync(join(rust, 'state.json'), v1);
    writeFileSync(join(rust, 'config.toml'), 'base_image = "ubuntu-dev"\n');
    const st = store(home, rust);
    expect((await st.read()).vms.length).toBe(2);
    expect(st.notices.join('\n')).toMatch(/Imported 2 VM record\(s\)/);
    expect(st.notices.join('\n')).toMatch(/config/);
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toContain('ubuntu-dev');
    expect(readFileSync(join(rust, 'state.json'), 'utf8')).toBe(v1);
    expect(readdirSync(rust).sort()).toEqual(['config.toml', 'state.json']);
    const again = store(home, rust);
    await again.read();
    expect(again.notices).toEqual([]);
  });

  it('breaks the lock of a dead holder and of a reused pid, waits for a live one', async () => {
    const home = tempDir();
    mkdirSync(home, { recursive: true });
    const lock = join(home, 'l.lock');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lock, `${dead} 123 abc\n`);
    expect(isStale(`${dead} 123 abc\n`, 0)).toBe(true);
    const release = await acquireLock(lock, { timeoutMs: 2000 });
    release();
    expect(existsSync(lock)).toBe(false);
    // Our own pid with another start time = the pid was reused.
    const mine = processStartTime(process.pid);
    expect(isStale(`${process.pid} 1${mine} abc\n`, 0)).toBe(true);
    expect(isStale(`${process.pid} ${mine} abc\n`, 0)).toBe(false);
    const held = await acquireLock(lock);
    await expect(acquireLock(lock, { timeoutMs: 200, what: 'state file' })).rejects.toThrow(/held by pid/);
    held();
  });
});
