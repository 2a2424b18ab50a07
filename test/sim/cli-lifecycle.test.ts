// stop/suspend/delete against a "running" VM (a live process holding the run lock), leases and ip,
// set, rename, create/clone overwrite and the MAC rule, tmp garbage collection, login, import/export.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, fakeRunning, makeSimEnv, tartSim, type SimEnv } from './helpers.js';
import type * as Leases from '../../src/sim/leases.js';

let sim: SimEnv;
beforeAll(() => {
  ensureBuilt();
  sim = makeSimEnv();
});
afterAll(() => sim?.cleanup());

const run = (args: string[], env: Record<string, string> = {}, input?: string) =>
  tartSim(args, { env: { ...sim.env, ...env }, ...(input === undefined ? {} : { input }) });
const config = (vm: string, home = sim.home) => JSON.parse(readFileSync(`${home}/vms/${vm}/config.json`, 'utf8')) as Record<string, unknown>;
const state = async (vm: string) =>
  (JSON.parse((await run(['get', vm, '--format', 'json'])).stdout) as { State: string }).State;

async function withLeases<T>(fn: (l: typeof Leases) => T, env: Record<string, string> = {}): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, { TART_SIM_LEASES: sim.leases }, env);
  try {
    return fn(await import('../../src/sim/leases.js'));
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

describe('running VMs', () => {
  it('stop sends SIGINT, waits for the run process to exit, and the VM reads stopped', async () => {
    await run(['create', '--linux', 's1']);
    const h = await fakeRunning(sim, 's1');
    expect(await state('s1')).toBe('running');
    const r = await run(['stop', 's1']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await h.exited).toBe(0);
    expect(readFileSync(h.marker, 'utf8')).toBe('SIGINT\n');
    expect(await state('s1')).toBe('stopped');
  });

  it('stop --timeout SIGKILLs a run process that ignores SIGINT', async () => {
    const h = await fakeRunning(sim, 's1', 'ignore-sigint');
    const t0 = Date.now();
    const r = await run(['stop', '-t', '1', 's1']);
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    await h.exited;
    expect(h.child.signalCode).toBe('SIGKILL');
    expect(await state('s1')).toBe('stopped');
  });

  it('a SIGKILLed run process leaves the VM stopped at once', async () => {
    const h = await fakeRunning(sim, 's1');
    h.kill();
    await h.exited;
    expect(await state('s1')).toBe('stopped');
  });

  it('suspend sends SIGUSR1 and returns at once', async () => {
    const h = await fakeRunning(sim, 's1');
    expect(await run(['suspend', 's1'])).toEqual({ code: 0, stdout: '', stderr: '' });
    await h.exited;
    expect(readFileSync(h.marker, 'utf8')).toBe('SIGUSR1\n');
  });

  it('stop on a suspended VM discards the snapshot; delete removes a suspended VM', async () => {
    writeFileSync(`${sim.home}/vms/s1/state.vzvmsave`, 'x');
    expect(await state('s1')).toBe('suspended');
    expect((await run(['stop', 's1'])).code).toBe(0);
    expect(existsSync(`${sim.home}/vms/s1/state.vzvmsave`)).toBe(false);
    expect(await state('s1')).toBe('stopped');
    writeFileSync(`${sim.home}/vms/s1/state.vzvmsave`, 'x');
    expect((await run(['delete', 's1'])).code).toBe(0);
    expect(existsSync(`${sim.home}/vms/s1`)).toBe(false);
  });

  it('delete processes names in order and stops at the first failure', async () => {
    await run(['create', '--linux', 'd1']);
    await run(['create', '--linux', 'd2']);
    const r = await run(['delete', 'd1', 'missing', 'd2']);
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'the specified VM "missing" does not exist\n' });
    expect(existsSync(`${sim.home}/vms/d1`)).toBe(false);
    expect(existsSync(`${sim.home}/vms/d2`)).toBe(true);
  });

  it('rename works on a running VM and the lock follows the directory', async () => {
    await run(['create', '--linux', 'r1']);
    const h = await fakeRunning(sim, 'r1');
    try {
      expect(await run(['rename', 'r1', 'r2'])).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(await state('r2')).toBe('running');
      expect((await run(['get', 'r1'])).code).toBe(2);
    } finally {
      h.kill();
    }
  });
});

describe('ip and leases', () => {
  it('answers from a live lease even for a stopped VM (Tart behaviour), and fails once it expires', async () => {
    await run(['create', '--linux', 'l1']);
    const mac = config('l1')['macAddress'] as string;
    const ip = await withLeases((l) => l.grantLease(mac, 'l1'), { TART_SIM_LEASE_SECS: '2' });
    expect(ip).toMatch(/^127\.64\.\d+\.\d+$/);
    expect(await run(['ip', 'l1'])).toEqual({ code: 0, stdout: `${ip}\n`, stderr: '' });
    await new Promise((r) => setTimeout(r, 2100));
    expect(await run(['ip', 'l1'])).toEqual({ code: 1, stdout: '', stderr: 'no IP address found, is your VM running?\n' });
  });

  it('gives each MAC a stable, distinct loopback IP', async () => {
    const [a1, b1, a2] = await withLeases((l) => [l.ipForMac('02:00:00:00:00:0a'), l.ipForMac('02:00:00:00:00:0b'), l.ipForMac('02:00:00:00:00:0A')]);
    expect(a1).toBe(a2);
    expect(a1).not.toBe(b1);
  });

  it('moves a MAC off an address whose port 22 someone else already listens on', async () => {
    const { createServer } = await import('node:net');
    const mac = '02:00:00:00:00:1c';
    const first = await withLeases((l) => l.ipForMac(mac));
    const server = createServer();
    await new Promise<void>((r) => server.listen(22, first, () => r()));
    try {
      const second = await withLeases((l) => l.ipForMac(mac));
      expect(second).not.toBe(first);
      expect(await withLeases((l) => l.ipForMac(mac))).toBe(second);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('ip --wait keeps polling every second until a lease appears', async () => {
    await run(['create', '--linux', 'l2']);
    const mac = config('l2')['macAddress'] as string;
    const pending = run(['ip', 'l2', '--wait', '10']);
    await new Promise((r) => setTimeout(r, 1500));
    const ip = await withLeases((l) => l.grantLease(mac, 'l2'));
    // The lease appeared 1.5 s into the wait: only a poll loop can have found it.
    expect(await pending).toEqual({ code: 0, stdout: `${ip}\n`, stderr: '' });
  });

  it('arp and agent resolvers answer only while the VM runs', async () => {
    expect((await run(['ip', 'l2', '--resolver', 'arp'])).code).toBe(1);
    expect((await run(['ip', 'l2', '--resolver', 'agent'])).code).toBe(1);
    const h = await fakeRunning(sim, 'l2');
    try {
      const ip = (await run(['ip', 'l2'])).stdout;
      expect((await run(['ip', 'l2', '--resolver', 'arp'])).stdout).toBe(ip);
      expect((await run(['ip', 'l2', '--resolver', 'agent'])).stdout).toBe(ip);
    } finally {
      h.kill();
    }
  });
});

describe('set', () => {
  it('changes cpu, memory, display and refit, and random-mac; no running check', async () => {
    await run(['create', '--linux', 'c1']);
    const h = await fakeRunning(sim, 'c1');
    try {
      const before = config('c1')['macAddress'];
      const r = await run(['set', 'c1', '--cpu', '2', '--memory', '2048', '--display', '1920x1080px', '--display-refit', '--random-mac']);
      expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
      const c = config('c1');
      expect(c).toMatchObject({ cpuCount: 2, memorySize: 2048 * 1024 * 1024, display: { width: 1920, height: 1080, unit: 'px' }, displayRefit: true });
      expect(c['macAddress']).not.toBe(before);
      expect(c['macAddress']).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      expect(parseInt((c['macAddress'] as string).slice(0, 2), 16) & 3).toBe(2);
      expect(JSON.parse((await run(['get', 'c1', '--format', 'json'])).stdout)).toMatchObject({ CPU: 2, Memory: 2048, Display: '1920x1080px', State: 'running' });
    } finally {
      h.kill();
    }
    // Without --[no-]display-refit Tart drops the key; a partial display keeps the other dimension.
    await run(['set', 'c1', '--display', 'x900']);
    expect(config('c1')).toMatchObject({ display: { width: 1920, height: 900 } });
    expect(config('c1')).not.toHaveProperty('displayRefit');
    expect((config('c1')['display'] as object)).not.toHaveProperty('unit');
    await run(['set', 'c1', '--no-display-refit']);
    expect(config('c1')['displayRefit']).toBe(false);
  });

  it('grows the disk, refuses to shrink it, and replaces its contents with --disk', async () => {
    expect((await run(['set', 'c1', '--disk-size', '60'])).code).toBe(0);
    expect(statSync(`${sim.home}/vms/c1/disk.img`).size).toBe(60e9);
    expect(await run(['set', 'c1', '--disk-size', '55'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'new disk size of 55 GB should be larger than the current disk size of 60 GB\n',
    });
    writeFileSync(`${sim.dir}/small.img`, 'DISK');
    expect((await run(['set', 'c1', '--disk', `${sim.dir}/small.img`])).code).toBe(0);
    expect(readFileSync(`${sim.home}/vms/c1/disk.img`, 'utf8')).toBe('DISK');
  });
});

describe('create and clone', () => {
  it('create writes Tart defaults and silently replaces an existing VM', async () => {
    await run(['create', '--linux', 'n1']);
    await run(['set', 'n1', '--cpu', '8']);
    expect((await run(['create', '--linux', '--disk-size', '30', 'n1'])).code).toBe(0);
    const c = config('n1');
    expect(c).toMatchObject({ version: 1, os: 'linux', arch: 'arm64', cpuCountMin: 4, cpuCount: 4, memorySizeMin: 4294967296, memorySize: 4294967296, display: { width: 1024, height: 768 }, diskFormat: 'raw' });
    const disk = statSync(`${sim.home}/vms/n1/disk.img`);
    expect(disk.size).toBe(30e9);
    expect(disk.blocks * 512).toBeLessThan(1e6);
    expect(readFileSync(`${sim.home}/vms/n1/config.json`, 'utf8')).toMatch(/^\{\n {2}"version" : 1,\n {2}"os" : "linux",/);
  });

  it('clone of a remote image pulls it first (without the "pulling <name>..." line), then prints nothing', async () => {
    const first = await run(['clone', 'ghcr.io/cirruslabs/ubuntu:latest', 'u1']);
    expect(first).toEqual({ code: 0, stdout: 'pulling manifest...\npulling disk (1.7 GB compressed)...\n0%\n100%\npulling NVRAM...\n', stderr: '' });
    const second = await run(['clone', 'ghcr.io/cirruslabs/ubuntu:latest', 'u2']);
    expect(second).toEqual({ code: 0, stdout: '', stderr: '' });
    // The first clone keeps the image's MAC; the second collides with it and gets a new one.
    const image = (await run(['list', '--source', 'oci', '-q'])).stdout.split('\n')[0];
    expect(image).toBe('ghcr.io/cirruslabs/ubuntu:latest');
    expect(config('u1')['macAddress']).toBe('4e:9a:02:5c:31:a7');
    expect(config('u2')['macAddress']).not.toBe('4e:9a:02:5c:31:a7');
    expect(statSync(`${sim.home}/vms/u1/disk.img`).size).toBe(20e9);
  });

  it('local clone: new MAC, sim overlay upper copied, run lock and work dir not', async () => {
    mkdirSync(`${sim.home}/vms/u1/.sim/upper/etc`, { recursive: true });
    mkdirSync(`${sim.home}/vms/u1/.sim/work/work`, { recursive: true });
    writeFileSync(`${sim.home}/vms/u1/.sim/upper/etc/hosts`, 'guest-edit');
    const h = await fakeRunning(sim, 'u1');
    try {
      expect(await run(['clone', 'u1', 'u3'])).toEqual({ code: 0, stdout: '', stderr: '' });
    } finally {
      h.kill();
    }
    expect(config('u3')['macAddress']).not.toBe(config('u1')['macAddress']);
    expect(readFileSync(`${sim.home}/vms/u3/.sim/upper/etc/hosts`, 'utf8')).toBe('guest-edit');
    expect(existsSync(`${sim.home}/vms/u3/.sim/run.lock`)).toBe(false);
    expect(existsSync(`${sim.home}/vms/u3/.sim/work/work`)).toBe(false);
    expect(await state('u3')).toBe('stopped');
  });

  it('clone of a suspended VM keeps its MAC and snapshot; clone overwrites the target', async () => {
    writeFileSync(`${sim.home}/vms/u3/state.vzvmsave`, 'snap');
    await run(['clone', 'u3', 'u4']);
    expect(config('u4')['macAddress']).toBe(config('u3')['macAddress']);
    expect(await state('u4')).toBe('suspended');
    await run(['set', 'u4', '--cpu', '7']);
    await run(['clone', 'u1', 'u4']);
    expect(config('u4')['cpuCount']).toBe(4);
    expect(await state('u4')).toBe('stopped');
  });
});

describe('concurrency and home', () => {
  it('parallel clones of one image serialize on the home lock: all succeed, only one keeps the image MAC', async () => {
    const names = ['p1', 'p2', 'p3', 'p4'];
    const results = await Promise.all(names.map((n) => run(['clone', 'ghcr.io/cirruslabs/ubuntu:latest', n])));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const macs = names.map((n) => config(n)['macAddress']);
    expect(new Set(macs).size).toBe(4);
    const withImageMac = [...names, 'u1'].filter((n) => config(n)['macAddress'] === '4e:9a:02:5c:31:a7');
    expect(withImageMac).toEqual(['u1']);
    expect((await run(['delete', ...names])).code).toBe(0);
  });

  it('an uncreatable TART_HOME is reported like Tart', async () => {
    writeFileSync(`${sim.dir}/plain-file`, '');
    const home = `${sim.dir}/plain-file/tart`;
    const r = await run(['list'], { TART_HOME: home });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^Failed to perform garbage collection: TART_HOME is invalid: ${home} does not exist, yet we can't create it: .*\\nTART_HOME is invalid: ${home} does not exist, yet we can't create it: .*\\n$`));
    expect((await run(['list'], { TART_HOME: '/proc/nope/tart' })).code).toBe(1);
  });
});

describe('tmp garbage collection', () => {
  it('every command but pull and clone removes unheld tmp entries; held ones stay', async () => {
    const stale = `${sim.home}/tmp/STALE`;
    const held = `${sim.home}/tmp/HELD`;
    mkdirSync(stale, { recursive: true });
    mkdirSync(held, { recursive: true });
    const h = await fakeRunning(sim, 'gc-holder');
    try {
      const stat = readFileSync(`/proc/${h.pid}/stat`, 'utf8');
      writeFileSync(`${held}.sim-owner`, JSON.stringify({ pid: h.pid, startTime: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] }));
      await run(['clone', 'u1', 'gc1']);
      await run(['pull', 'ghcr.io/cirruslabs/ubuntu:latest']);
      expect(existsSync(stale)).toBe(true);
      await run(['list']);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(held)).toBe(true);
    } finally {
      h.kill();
    }
    await h.exited;
    await run(['get', 'gc1']);
    expect(existsSync(held)).toBe(false);
  });
});

describe('login, logout, import and export', () => {
  it('stores credentials from --password-stdin in a 0600 file under TART_HOME, and logout removes them', async () => {
    expect(await run(['login', 'ghcr.io', '--username', 'me', '--password-stdin'], {}, 's3cret\n')).toEqual({ code: 0, stdout: '', stderr: '' });
    const file = `${sim.home}/.sim-credentials.json`;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ 'ghcr.io': { user: 'me', password: 's3cret' } });
    expect(await run(['login', 'registry.invalid', '--username', 'me', '--password-stdin'], {}, 'x')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'invalid credentials: A server with the specified hostname could not be found.\n',
    });
    expect((await run(['login', 'registry.invalid', '--username', 'me', '--password-stdin', '--no-validate'], {}, 'x')).code).toBe(0);
    expect(await run(['login', 'localhost:5000'], {}, 'bob\npw\n')).toEqual({ code: 0, stdout: '', stderr: 'User: Password: ' });
    expect((await run(['logout', 'ghcr.io'])).code).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object).sort()).toEqual(['localhost:5000', 'registry.invalid']);
  });

  it('export then import round-trips a VM, regenerating a colliding MAC', async () => {
    const tvm = `${sim.dir}/u1.tvm`;
    expect(await run(['export', 'u1', tvm])).toEqual({ code: 0, stdout: 'exporting...\n', stderr: '' });
    expect(await run(['import', tvm, 'imp'])).toEqual({ code: 0, stdout: 'importing...\n', stderr: '' });
    expect(readFileSync(`${sim.home}/vms/imp/.sim/upper/etc/hosts`, 'utf8')).toBe('guest-edit');
    expect(config('imp')['macAddress']).not.toBe(config('u1')['macAddress']);
    expect(statSync(`${sim.home}/vms/imp/disk.img`).size).toBe(20e9);
    expect(await run(['import', tvm, 'a/b'])).toMatchObject({ code: 64, stderr: expect.stringMatching(/^Error: <name> should be a local name\n/) });
    expect(await run(['export', 'nope', tvm])).toEqual({ code: 2, stdout: 'exporting...\n', stderr: 'the specified VM "nope" does not exist\n' });
    // Without a path, an existing <name>.tvm in the working directory is only overwritten after "yes".
    writeFileSync(`${sim.dir}/u1.tvm`, 'old');
    const ask = 'file u1.tvm already exists, are you sure you want to overwrite it? (yes, [no])? ';
    expect(await tartSim(['export', 'u1'], { env: sim.env, cwd: sim.dir, input: 'no\n' })).toEqual({ code: 0, stdout: ask, stderr: '' });
    expect(readFileSync(`${sim.dir}/u1.tvm`, 'utf8')).toBe('old');
    expect(await tartSim(['export', 'u1'], { env: sim.env, cwd: sim.dir, input: 'yes\n' })).toEqual({ code: 0, stdout: `${ask}exporting...\n`, stderr: '' });
    expect(statSync(`${sim.dir}/u1.tvm`).size).toBeGreaterThan(3);
  });
});
