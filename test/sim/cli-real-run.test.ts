// The CLI commands against a real `tart-sim run` (the guest side): list/ip/stop/clone/delete on a
// booted VM, and Tart's stale-lease answer from `ip` once the VM has stopped.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, makeSimEnv, tartSim, TART_SIM, type SimEnv } from './helpers.js';

let sim: SimEnv;
beforeAll(() => {
  ensureBuilt();
  sim = makeSimEnv({ TART_SIM_IP_DELAY_MS: '100' });
});
afterAll(() => sim?.cleanup());

const run = (args: string[]) => tartSim(args, { env: sim.env });
const listed = async (name: string) =>
  (JSON.parse((await run(['list', '--source', 'local', '--format', 'json'])).stdout) as { Name: string; State: string; Running: boolean }[]).find(
    (v) => v.Name === name,
  );

describe('with a real run process', () => {
  it('lists it running, resolves its IP, refuses delete, stops it, then answers ip from the stale lease', async () => {
    expect((await run(['clone', 'ghcr.io/cirruslabs/ubuntu:latest', 'real'])).code).toBe(0);
    const child = spawn(TART_SIM, ['run', '--no-graphics', 'real'], { env: { ...process.env, ...sim.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const ip = await run(['ip', '--wait', '30', 'real']);
      expect(ip.code).toBe(0);
      expect(ip.stdout).toMatch(/^127\.64\.\d+\.\d+\n$/);
      expect(await listed('real')).toMatchObject({ State: 'running', Running: true });
      expect(await run(['delete', 'real'])).toEqual({ code: 1, stdout: '', stderr: 'VM "real" is running\n' });
      // Cloning a running VM is not refused; the clone is a stopped VM with its own MAC.
      expect((await run(['clone', 'real', 'copy'])).code).toBe(0);
      expect(await listed('copy')).toMatchObject({ State: 'stopped' });
      expect(existsSync(`${sim.home}/vms/copy/.sim/run.lock`)).toBe(false);

      expect(await run(['stop', 'real'])).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(await exited).toBe(0);
      expect(stdout).toContain('Stopping VM...');
      expect(await listed('real')).toMatchObject({ State: 'stopped', Running: false });
      // Tart's dhcp resolver never checks that the VM runs: the still-valid lease answers.
      expect(await run(['ip', 'real'])).toEqual({ code: 0, stdout: ip.stdout, stderr: '' });
      expect(await run(['ip', 'real', '--resolver', 'arp'])).toMatchObject({ code: 1 });
      expect((await run(['delete', 'real', 'copy'])).code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
