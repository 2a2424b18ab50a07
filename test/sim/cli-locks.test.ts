// The lock scheme behind "running": live holder, stale holder (dead PID or recycled PID).
// Exercised through the module directly and through the CLI (contention: see the parallel clone test).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, makeSimEnv, tartSim, type SimEnv } from './helpers.js';
import { isAlive, processStartTime, readLiveFileLock, tryAcquireFileLock } from '../../src/sim/lock.js';

let sim: SimEnv;
beforeAll(() => {
  ensureBuilt();
  sim = makeSimEnv();
});
afterAll(() => sim?.cleanup());

describe('run locks', () => {
  it('a lock whose PID is alive but with another start time (recycled PID) is stale', async () => {
    await tartSim(['create', '--linux', 'k1'], { env: sim.env });
    const lockPath = `${sim.home}/vms/k1/.sim/run.lock`;
    mkdirSync(`${sim.home}/vms/k1/.sim`, { recursive: true });
    const real = processStartTime(process.pid) as string;
    writeFileSync(lockPath, JSON.stringify({ pid: process.pid, startTime: String(Number(real) - 1) }));
    expect(readLiveFileLock(lockPath)).toBeNull();
    expect(JSON.parse((await tartSim(['get', 'k1', '--format', 'json'], { env: sim.env })).stdout)).toMatchObject({ State: 'stopped' });
    writeFileSync(lockPath, JSON.stringify({ pid: process.pid, startTime: real }));
    expect(isAlive({ pid: process.pid, startTime: real })).toBe(true);
    expect(JSON.parse((await tartSim(['get', 'k1', '--format', 'json'], { env: sim.env })).stdout)).toMatchObject({ State: 'running' });
    expect((await tartSim(['delete', 'k1'], { env: sim.env })).stderr).toBe('VM "k1" is running\n');
  });

  it('a stale lock is taken over; a live one is not', () => {
    const path = `${sim.dir}/contended.lock`;
    writeFileSync(path, JSON.stringify({ pid: 999999999, startTime: '1' }));
    const held = tryAcquireFileLock(path, { initPid: 42 });
    expect(held).not.toBeNull();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, initPid: 42 });
    expect(tryAcquireFileLock(path)).toBeNull();
    held?.update({ suspendable: true });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, initPid: 42, suspendable: true });
    held?.release();
    expect(readLiveFileLock(path)).toBeNull();
  });

});
