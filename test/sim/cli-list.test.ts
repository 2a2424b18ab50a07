// list/get output: Apple-style JSON, TextTable text, relative Accessed, ordering, shuffled keys.
import { utimesSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, fakeRunning, makeSimEnv, tartSim, type SimEnv } from './helpers.js';

let sim: SimEnv;
beforeAll(() => {
  ensureBuilt();
  sim = makeSimEnv();
});
afterAll(() => sim?.cleanup());

const run = (args: string[], env: Record<string, string> = {}) => tartSim(args, { env: { ...sim.env, ...env } });

describe('list and get', () => {
  it('prints an empty line (text) and an empty pretty array (json) when there are no VMs', async () => {
    expect(await run(['list'])).toEqual({ code: 0, stdout: '\n', stderr: '' });
    expect((await run(['list', '--format', 'json'])).stdout).toBe('[\n\n]\n');
    expect((await run(['list', '-q'])).stdout).toBe('');
  });

  it('renders the plain text table, trimmed, with relative access times and without Running', async () => {
    await run(['create', '--linux', 'beta']);
    await run(['create', '--linux', '--disk-size', '100', 'alpha']);
    const past = new Date(Date.now() - 3 * 60 * 1000 - 5000);
    for (const vm of ['alpha', 'beta']) utimesSync(`${sim.home}/vms/${vm}`, past, statSync(`${sim.home}/vms/${vm}`).mtime);
    const r = await run(['list', '--source', 'local']);
    expect(r.stdout).toBe(
      'Source Name  Disk Size Accessed      State  \n' +
        'local  alpha 100  0    3 minutes ago stopped\n' +
        'local  beta  50   0    3 minutes ago stopped\n',
    );
  });

  it('emits JSON like JSONEncoder.prettyPrinted: typed fields, ISO dates, escaped slashes', async () => {
    await run(['clone', 'ghcr.io/cirruslabs/debian:latest', 'deb']);
    const r = await run(['list', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"Name" : "ghcr.io\\/cirruslabs\\/debian:latest"');
    expect(r.stdout).toMatch(/^\[\n {2}\{\n {4}"/);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows.map((x) => `${x['Source']} ${x['Name']}`)).toEqual([
      'local alpha',
      'local beta',
      'local deb',
      'OCI ghcr.io/cirruslabs/debian:latest',
      expect.stringMatching(/^OCI ghcr\.io\/cirruslabs\/debian@sha256:[0-9a-f]{64}$/),
    ]);
    const deb = rows.find((x) => x['Name'] === 'deb') as Record<string, unknown>;
    expect(deb).toEqual({ Source: 'local', Name: 'deb', Disk: 20, Size: 0, Accessed: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), Running: false, State: 'stopped' });
    expect((await run(['list', '-q'])).stdout).toBe(`alpha\nbeta\ndeb\nghcr.io/cirruslabs/debian:latest\n${(rows[4] as { Name: string }).Name}\n`);
    const oci = JSON.parse((await run(['list', '--source', 'oci', '--format', 'json'])).stdout) as { Source: string }[];
    expect(oci.map((x) => x.Source)).toEqual(['OCI', 'OCI']);
  });

  it('shows running and suspended states', async () => {
    const holder = await fakeRunning(sim, 'alpha');
    writeFileSync(`${sim.home}/vms/beta/state.vzvmsave`, 'snapshot');
    try {
      const rows = JSON.parse((await run(['list', '--source', 'local', '--format', 'json'])).stdout) as { Name: string; State: string; Running: boolean }[];
      expect(rows.map((x) => [x.Name, x.State, x.Running])).toEqual([
        ['alpha', 'running', true],
        ['beta', 'suspended', false],
        ['deb', 'stopped', false],
      ]);
      holder.kill();
      await holder.exited;
      const after = JSON.parse((await run(['list', '--source', 'local', '--format', 'json'])).stdout) as { Name: string; State: string }[];
      expect(after[0]).toMatchObject({ Name: 'alpha', State: 'stopped' });
    } finally {
      holder.kill();
    }
  });

  it('list does not bump Accessed; get does', async () => {
    const past = new Date(Date.now() - 2 * 86400 * 1000);
    utimesSync(`${sim.home}/vms/deb`, past, past);
    await run(['list']);
    expect(statSync(`${sim.home}/vms/deb`).atimeMs).toBeCloseTo(past.getTime(), -3);
    await run(['get', 'deb']);
    expect(Date.now() - statSync(`${sim.home}/vms/deb`).atimeMs).toBeLessThan(10_000);
  });

  it('get prints the text table and JSON with Size as a 3-decimal string', async () => {
    const text = await run(['get', 'deb']);
    expect(text.stdout).toBe('OS    CPU Memory Disk DiskFormat Size  Display  State  \nlinux 4   4096   20   raw        0.000 1024x768 stopped\n');
    const json = await run(['get', 'deb', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual({
      OS: 'linux', CPU: 4, Memory: 4096, Disk: 20, DiskFormat: 'raw', Size: '0.000', Display: '1024x768', Running: false, State: 'stopped',
    });
    expect(json.stdout).toMatch(/^\{\n {2}"[A-Za-z]+" : /);
  });

  it('shuffles JSON key order with TART_SIM_JSON_SHUFFLE=1 without changing the content', async () => {
    const plain = JSON.parse((await run(['get', 'deb', '--format', 'json'])).stdout) as Record<string, unknown>;
    const orders = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await run(['get', 'deb', '--format', 'json'], { TART_SIM_JSON_SHUFFLE: '1' });
      const parsed = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(parsed).toEqual(plain);
      orders.add(Object.keys(parsed).join(','));
    }
    expect(orders.size).toBeGreaterThan(1);
    const unshuffled = new Set<string>();
    for (let i = 0; i < 3; i++) unshuffled.add(Object.keys(JSON.parse((await run(['get', 'deb', '--format', 'json'])).stdout) as object).join(','));
    expect(unshuffled.size).toBe(1);
  });
});
