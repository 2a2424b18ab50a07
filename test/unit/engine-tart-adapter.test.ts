// The Tart adapter against tart-sim (JSON keys shuffled) and against stand-ins that fail or hang.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TartError } from '../../src/core/errors.js';
import { createTart } from '../../src/adapters/tart.js';
import { tempDir } from '../helpers/git-repo.js';
import { TART, ensureBuilt } from '../e2e/engine-helpers.js';

async function failure(p: Promise<unknown>): Promise<TartError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TartError) return e;
    throw e;
  }
  throw new Error('expected a TartError');
}

let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir('tk-tart-adapter-');
  env = { PATH: process.env['PATH'], HOME: dir, TART_HOME: join(dir, 'tart'), TART_SIM_LEASES: join(dir, 'leases.json'), TART_SIM_JSON_SHUFFLE: '1' };
}, 120_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('tart adapter', () => {
  it('drives a VM through clone, set, get, run (detached, log appended), ip, stop, delete', async () => {
    const tart = createTart({ tartPath: TART, env });
    await tart.clone('ghcr.io/cirruslabs/ubuntu:latest', 'vm1');
    await tart.set('vm1', { cpu: 2, memoryMb: 2048, randomMac: true });
    const info = await tart.get('vm1');
    expect(info).toMatchObject({ os: 'linux', cpu: 2, memoryMb: 2048, state: 'stopped' });
    const log = join(dir, 'logs', 'vm1.log');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    writeFileSync(log, 'before\n');
    await tart.run('vm1', { dirs: [`code:${dir}`], noGraphics: true, suspendable: false, logFile: log });
    let ip: string | null = null;
    for (let i = 0; i < 10 && !ip; i++) ip = await tart.ip('vm1', 2);
    expect(ip).toMatch(/^127\.64\.\d+\.\d+$/);
    expect((await tart.list()).find((v) => v.name === 'vm1')?.state).toBe('running');
    await tart.stop('vm1');
    await tart.stop('vm1'); // stopping a stopped VM is not an error
    expect((await tart.list()).find((v) => v.name === 'vm1')?.state).toBe('stopped');
    expect(readFileSync(log, 'utf8')).toMatch(/^before\n[\s\S]*Stopping VM/);
    await tart.delete('vm1');
    expect((await tart.list()).some((v) => v.name === 'vm1')).toBe(false);
  }, 60_000);

  it('failures are TartErrors with argv and stderr; a missing binary says how to install Tart', async () => {
    const tart = createTart({ tartPath: TART, env });
    const e = await failure(tart.get('nope'));
    expect(e).toBeInstanceOf(TartError);
    expect(e.argv).toEqual(['get', 'nope', '--format', 'json']);
    expect(e.stderr).toContain('does not exist');
    const missing = await failure(createTart({ tartPath: join(dir, 'no-tart'), env }).list());
    expect(missing.hint).toContain('TK_TART');
    const run = await failure(createTart({ tartPath: join(dir, 'no-tart'), env }).run('x', { dirs: [], noGraphics: true, suspendable: false, logFile: join(dir, 'logs', 'x.log') }));
    expect(run).toBeInstanceOf(TartError);
  });

  it('every call has a timeout', async () => {
    const slow = join(dir, 'slow-tart');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(slow, 0o755);
    const t0 = Date.now();
    const e = await failure(createTart({ tartPath: slow, env, timeoutMs: 300 }).set('x', { cpu: 1 }));
    expect(e).toBeInstanceOf(TartError);
    expect(e.message).toContain('timed out');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
