// Images: pull output, OCI cache layout, fqn, delete of remote names, push to the bundled registry,
// the macOS image, prune.
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync, utimesSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { ensureBuilt, fakeRunning, makeSimEnv, tartSim, TART_SIM, type SimEnv } from './helpers.js';

let sim: SimEnv;
beforeAll(() => {
  ensureBuilt();
  sim = makeSimEnv();
});
afterAll(() => sim?.cleanup());

const run = (args: string[], env: Record<string, string> = {}) => tartSim(args, { env: { ...sim.env, ...env } });
const UBUNTU = 'ghcr.io/cirruslabs/ubuntu:latest';

describe('pull', () => {
  it('prints Tart’s lines, stores a tag symlink to a sha256 directory, then reports the cache hit', async () => {
    const r = await run(['pull', UBUNTU]);
    expect(r).toEqual({
      code: 0,
      stdout: `pulling ${UBUNTU}...\npulling manifest...\npulling disk (1.7 GB compressed)...\n0%\n100%\npulling NVRAM...\n`,
      stderr: '',
    });
    const tag = `${sim.home}/cache/OCIs/ghcr.io/cirruslabs/ubuntu/latest`;
    expect(lstatSync(tag).isSymbolicLink()).toBe(true);
    const digestDir = readlinkSync(tag);
    expect(digestDir).toMatch(/\/cache\/OCIs\/ghcr\.io\/cirruslabs\/ubuntu\/sha256:[0-9a-f]{64}$/);
    for (const f of ['config.json', 'disk.img', 'nvram.bin', 'manifest.json']) expect(existsSync(`${digestDir}/${f}`)).toBe(true);
    const digest = digestDir.slice(digestDir.lastIndexOf('/') + 1);
    const again = await run(['pull', UBUNTU]);
    expect(again.stdout).toBe(`pulling ${UBUNTU}...\npulling manifest...\nghcr.io/cirruslabs/ubuntu@${digest} image is already cached and linked!\n`);
    expect((await run(['fqn', UBUNTU])).stdout).toBe(`ghcr.io/cirruslabs/ubuntu@${digest}\n`);
  });

  it('redraws progress in place without CI', async () => {
    const r = await tartSim(['pull', 'ghcr.io/cirruslabs/debian:latest'], { env: { TART_HOME: sim.home, TART_SIM_LEASES: sim.leases, TART_SIM_REGISTRY: sim.registry } });
    expect(r.stdout).toContain('0%\n\x1b[1A\r\x1b[J100%\n');
  });

  it('fqn of an uncached remote name fails like Tart’s OCI storage', async () => {
    expect(await run(['fqn', 'ghcr.io/cirruslabs/fedora:latest'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "OCI storage error: ghcr.io/cirruslabs/fedora:latest is not a digest and doesn't point to a digest\n",
    });
  });

  it('delete of a remote tag removes the link and garbage-collects the orphaned digest', async () => {
    const digestDir = readlinkSync(`${sim.home}/cache/OCIs/ghcr.io/cirruslabs/debian/latest`);
    expect((await run(['delete', 'ghcr.io/cirruslabs/debian:latest'])).code).toBe(0);
    expect(existsSync(digestDir)).toBe(false);
    expect((await run(['list', '--source', 'oci', '-q'])).stdout).not.toContain('debian');
  });
});

describe('pull edge cases', () => {
  it('a pull waits for another pull of the same registry host ("waiting for lock...")', async () => {
    const h = await fakeRunning(sim, 'puller', 'normal', `${sim.home}/cache/OCIs/ghcr.io/.sim-pull.lock`);
    const child = spawn(TART_SIM, ['pull', 'ghcr.io/cirruslabs/debian:latest'], { env: { ...process.env, ...sim.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // Release the other "pull" only once this one reports that it waits for it.
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('waiting for lock...\n')) resolve();
      }),
    );
    h.kill();
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/^pulling ghcr\.io\/cirruslabs\/debian:latest\.\.\.\npulling manifest\.\.\.\nwaiting for lock\.\.\.\npulling disk /);
  });

  it('a pull by digest keeps only the digest entry, marked explicitly pulled', async () => {
    const fqn = (await run(['fqn', 'ghcr.io/cirruslabs/debian:latest'])).stdout.trim();
    expect((await run(['delete', 'ghcr.io/cirruslabs/debian:latest'])).code).toBe(0);
    expect((await run(['pull', fqn])).code).toBe(0);
    expect((await run(['list', '--source', 'oci', '-q'])).stdout).toContain(`${fqn}\n`);
    expect((await run(['list', '--source', 'oci', '-q'])).stdout).not.toContain('debian:latest');
    expect((await run(['delete', fqn])).code).toBe(0);
  });

  it('clone of an unknown remote image fails after "pulling manifest..."', async () => {
    const r = await run(['clone', 'ghcr.io/cirruslabs/nope:latest', 'x']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('pulling manifest...\n');
    expect(r.stderr).toMatch(/^Error: UnexpectedHTTPStatusCode\(when: "pulling manifest", code: 404/);
    expect(existsSync(`${sim.home}/vms/x`)).toBe(false);
  });
});

describe('fresh home, parallel clones of an uncached image', () => {
  it('serialize their pulls per registry host; later ones find the image cached', async () => {
    const fresh = makeSimEnv();
    try {
      const rs = await Promise.all(['a', 'b', 'c'].map((n) => tartSim(['clone', 'ghcr.io/cirruslabs/debian:latest', n], { env: fresh.env })));
      expect(rs.map((r) => [r.code, r.stderr])).toEqual([[0, ''], [0, ''], [0, '']]);
      const pulled = rs.filter((r) => r.stdout.includes('pulling disk'));
      expect(pulled.length).toBeGreaterThanOrEqual(1);
      for (const r of rs) {
        if (r.stdout === '') continue; // raced in after the image was cached: a cached clone prints nothing
        expect(r.stdout).toMatch(/^pulling manifest\.\.\.\n(waiting for lock\.\.\.\n)?(pulling disk \(1\.2 GB compressed\)\.\.\.\n0%\n100%\npulling NVRAM\.\.\.\n|ghcr\.io\/cirruslabs\/debian@sha256:[0-9a-f]{64} image is already cached( and linked)?!( creating a symlink\.\.\.)?\n)$/);
      }
      expect((await tartSim(['list', '-q', '--source', 'local'], { env: fresh.env })).stdout).toBe('a\nb\nc\n');
    } finally {
      fresh.cleanup();
    }
  });
});

describe('push', () => {
  it('pushes a local VM, which another TART_HOME can then clone', async () => {
    await run(['create', '--linux', 'mine']);
    await run(['set', 'mine', '--cpu', '6']);
    const r = await run(['push', 'mine', 'ghcr.io/acme/mine:v1', 'ghcr.io/acme/mine:latest']);
    expect(r).toEqual({
      code: 0,
      stdout: 'pushing mine to ghcr.io/acme/mine{:v1,:latest}...\npushing config...\npushing disk... this will take a while...\n0%\n100%\npushing NVRAM...\npushing manifest for v1...\npushing manifest for latest...\n',
      stderr: '',
    });
    const other = makeSimEnv({ TART_SIM_REGISTRY: sim.registry });
    try {
      const c = await tartSim(['clone', 'ghcr.io/acme/mine:v1', 'theirs'], { env: other.env });
      expect(c.code).toBe(0);
      expect(c.stdout).toMatch(/^pulling manifest\.\.\.\npulling disk \(\d+\.\d GB compressed\)\.\.\.\n/);
      const cfg = JSON.parse(readFileSync(`${other.home}/vms/theirs/config.json`, 'utf8')) as { cpuCount: number };
      expect(cfg.cpuCount).toBe(6);
    } finally {
      other.cleanup();
    }
  });

  it('refuses a running VM and unknown registries', async () => {
    const h = await fakeRunning(sim, 'mine');
    try {
      expect(await run(['push', 'mine', 'ghcr.io/acme/mine:v2'])).toEqual({ code: 1, stdout: '', stderr: 'VM "mine" is running\n' });
    } finally {
      h.kill();
    }
    await h.exited;
    expect(await run(['push', 'mine', 'registry.invalid/acme/mine:v2'])).toEqual({
      code: 1,
      stdout: 'pushing mine to registry.invalid/acme/mine:v2...\npushing config...\n',
      stderr: 'Error: A server with the specified hostname could not be found.\n',
    });
  });
});

describe('macOS image', () => {
  it('clones a darwin VM with Tart’s macOS minimums enforced by set', async () => {
    const r = await run(['clone', 'ghcr.io/cirruslabs/macos-tahoe-base:latest', 'mac']);
    expect(r.stdout).toContain('pulling disk (25.3 GB compressed)...\n');
    expect(JSON.parse((await run(['get', 'mac', '--format', 'json'])).stdout)).toMatchObject({ OS: 'darwin', CPU: 4, Memory: 8192, Disk: 50 });
    const cfg = JSON.parse(readFileSync(`${sim.home}/vms/mac/config.json`, 'utf8')) as Record<string, unknown>;
    expect(cfg).toHaveProperty('hardwareModel');
    expect(cfg).toHaveProperty('ecid');
    expect(await run(['set', 'mac', '--cpu', '2'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: LessThanMinimalResourcesError: VM should have 4 CPU cores at minimum (requested 2)\n',
    });
    const ecid = cfg['ecid'];
    expect((await run(['set', 'mac', '--random-serial'])).code).toBe(0);
    expect((JSON.parse(readFileSync(`${sim.home}/vms/mac/config.json`, 'utf8')) as Record<string, unknown>)['ecid']).not.toBe(ecid);
  });
});

describe('prune', () => {
  it('--older-than removes caches not accessed recently; --entries vms skips running VMs', async () => {
    const digestDir = readlinkSync(`${sim.home}/cache/OCIs/ghcr.io/cirruslabs/ubuntu/latest`);
    const old = new Date(Date.now() - 10 * 86400 * 1000);
    utimesSync(digestDir, old, old);
    expect(await run(['prune', '--older-than', '5'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(existsSync(digestDir)).toBe(false);
    await run(['create', '--linux', 'oldvm']);
    await run(['create', '--linux', 'oldbusy']);
    for (const vm of ['oldvm', 'oldbusy']) utimesSync(`${sim.home}/vms/${vm}`, old, statSync(`${sim.home}/vms/${vm}`).mtime);
    const h = await fakeRunning(sim, 'oldbusy');
    try {
      expect((await run(['prune', '--entries', 'vms', '--older-than', '5'])).code).toBe(0);
      expect(existsSync(`${sim.home}/vms/oldvm`)).toBe(false);
      expect(existsSync(`${sim.home}/vms/oldbusy`)).toBe(true);
    } finally {
      h.kill();
    }
  });

  it('--space-budget 0 removes every cache entry; --cache-budget warns it is deprecated', async () => {
    await run(['pull', 'ghcr.io/cirruslabs/debian:latest']);
    expect((await run(['list', '--source', 'oci', '-q'])).stdout).not.toBe('');
    const r = await run(['prune', '--cache-budget', '0']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '--cache-budget is deprecated, please use --space-budget\n' });
    expect((await run(['list', '--source', 'oci', '-q'])).stdout).toBe('');
  });
});
