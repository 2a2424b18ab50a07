// Fault injection (src/sim/faults.ts): from TART_SIM_FAULTS or $TART_HOME/sim-faults.json, global
// or per VM.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, type SimEnv } from './helpers.js';
import { cloneUbuntu, guestSimEnv, ipOf, killAll, lockOf, portOpen, sshBanner, startVm, tartSim, waitFor } from './guest-helpers.js';

let sim: SimEnv;
const faultFile = (): string => join(sim.home, 'sim-faults.json');
const env = (): { env: Record<string, string> } => ({ env: sim.env });

beforeAll(async () => {
  ensureBuilt();
  sim = guestSimEnv();
  await cloneUbuntu(sim, 'demo');
  await cloneUbuntu(sim, 'spare');
});
afterEach(async () => {
  await killAll();
  writeFileSync(faultFile(), '');
});
afterAll(() => sim.cleanup());

describe('fault injection', () => {
  it('bootDelayMs: no exec, no IP and no sshd until the delay has passed', async () => {
    writeFileSync(faultFile(), JSON.stringify({ vms: { demo: { bootDelayMs: 1500 } } }));
    const t0 = Date.now();
    const vm = await startVm(sim, 'demo', [], { wait: false });
    await waitFor('run to take the lock', () => lockOf(sim, 'demo')?.pid === vm.child.pid);
    const early = await tartSim(['exec', 'demo', 'true'], env());
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/^Failed to connect to the VM using its control socket: .*is the Tart Guest Agent running\?\n$/);
    const ip = await ipOf(sim, 'demo', 10);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(await sshBanner(ip)).toMatch(/^SSH-2\.0-/);
  });

  it('noIp: the VM runs (exec works) but `ip` never answers', async () => {
    // a VM that never had a lease (a stopped VM's old lease would still answer, as in Tart)
    await cloneUbuntu(sim, 'fresh');
    writeFileSync(faultFile(), JSON.stringify({ noIp: true }));
    await startVm(sim, 'fresh');
    expect((await tartSim(['exec', 'fresh', 'hostname'], env())).stdout).toBe('fresh\n');
    const ip = await tartSim(['ip', '--wait', '1', 'fresh'], env());
    expect(ip).toEqual({ code: 1, stdout: '', stderr: 'no IP address found\n' });
  });

  it('sshdRefuse: the IP is handed out but port 22 refuses connections', async () => {
    await startVm(sim, 'spare', [], { env: { TART_SIM_FAULTS: JSON.stringify({ vms: { spare: { sshdRefuse: true } } }) } });
    const ip = await ipOf(sim, 'spare');
    expect(await portOpen(ip)).toBe(false);
    expect((await tartSim(['exec', 'spare', 'hostname'], env())).stdout).toBe('spare\n');
  });

  it('execHang and execGarbage (per VM: the other VM is unaffected)', async () => {
    await Promise.all([startVm(sim, 'demo'), startVm(sim, 'spare')]);
    writeFileSync(faultFile(), JSON.stringify({ vms: { demo: { execHang: true } } }));
    const hung = await tartSim(['exec', 'demo', 'echo', 'hi'], { ...env(), timeoutMs: 1500 });
    expect(hung.code).toBe(-1); // killed by the timeout, never answered
    expect(hung.stdout).toBe('');
    expect(await tartSim(['exec', 'spare', 'echo', 'hi'], env())).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
    writeFileSync(faultFile(), JSON.stringify({ vms: { demo: { execGarbage: true } } }));
    const garbage = await tartSim(['exec', 'demo', 'echo', 'hi'], env());
    expect(garbage.code).toBe(0);
    expect(garbage.stdout).not.toBe('hi\n');
    expect(garbage.stdout.length).toBeGreaterThan(10);
  });

  it('runDiesAfterMs: run dies like a crash; the VM is stopped and its sshd gone', async () => {
    const vm = await startVm(sim, 'demo', [], { env: { TART_SIM_FAULTS: JSON.stringify({ runDiesAfterMs: 1200 }) } });
    const ip = await ipOf(sim, 'demo');
    expect((await vm.exited).signal).toBe('SIGKILL');
    const list = await tartSim(['list', '--format', 'json'], env());
    expect(list.stdout).toMatch(/"Name" : "demo",[\s\S]*?"State" : "stopped"/);
    await waitFor('port 22 to close', async () => !(await portOpen(ip)), 3000);
  });

  it('a malformed fault file is reported on stderr and ignored', async () => {
    writeFileSync(faultFile(), '{not json');
    await startVm(sim, 'demo');
    expect((await tartSim(['exec', 'demo', 'hostname'], env())).stderr).toMatch(/^tart-sim: ignoring fault injection from .*sim-faults\.json: .*; fix or remove it\n$/);
  });
});
