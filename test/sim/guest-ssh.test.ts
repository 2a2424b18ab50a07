// Real sim guests: the acceptance flow, SSH with a key, hostname, sudo, isolation, disk persistence,
// kill -9 semantics.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ensureBuilt, ROOT, type SimEnv } from './helpers.js';
import { authorize, cloneUbuntu, guestSimEnv, ipOf, killAll, makeKey, portOpen, ssh, sshBanner, startVm, tartSim, waitFor } from './guest-helpers.js';

let sim: SimEnv;
beforeAll(async () => {
  ensureBuilt();
  sim = guestSimEnv();
  await cloneUbuntu(sim, 'demo');
});
afterEach(killAll);
afterAll(() => sim.cleanup());

describe('sim guest over SSH', () => {
  it('acceptance: clone, run in the background, ip --wait answers SSH on 22, exec hostname prints the VM name', async () => {
    const vm = await startVm(sim, 'demo', [], { wait: false });
    const ipRes = await tartSim(['ip', '--wait', '30', 'demo'], { env: sim.env });
    expect(ipRes.code).toBe(0);
    const ip = ipRes.stdout.trim();
    expect(ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
    const banner = await waitFor('the SSH banner', async () => (await sshBanner(ip)) || null);
    expect(banner).toMatch(/^SSH-2\.0-OpenSSH/);
    const host = await tartSim(['exec', 'demo', 'hostname'], { env: sim.env });
    expect(host).toEqual({ code: 0, stdout: 'demo\n', stderr: '' });
    vm.child.kill('SIGINT');
    expect((await vm.exited).code).toBe(0);
    expect(vm.stdout()).toBe('Stopping VM...\n');
  });

  it('logs in with a key as admin; hostname is the VM name; sudo needs no password; /etc/hosts writes stay in the guest', async () => {
    await startVm(sim, 'demo');
    const ip = await ipOf(sim, 'demo');
    const { key, pub } = makeKey(sim);
    await authorize(sim, 'demo', pub);
    const hostsBefore = createHash('sha256').update(readFileSync('/etc/hosts')).digest('hex');
    const r = await ssh(ip, key, 'hostname; id -un; sudo -n id -u; echo "10.9.8.7 tk-guest-only" | sudo tee -a /etc/hosts >/dev/null; grep -c tk-guest-only /etc/hosts');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('demo\nadmin\n0\n1\n');
    expect(createHash('sha256').update(readFileSync('/etc/hosts')).digest('hex')).toBe(hostsBefore);
    // the host's private trees do not show through the lower layer, even to guest root
    const peek = await ssh(ip, key, `sudo ls -A /root | wc -l; test -e ${JSON.stringify(join(ROOT, 'package.json'))} && echo visible || echo hidden; sudo grep -c '^root:\\*:' /etc/shadow`);
    expect(peek.stdout).toBe('0\nhidden\n1\n');
    // password auth like Tart's images is enabled; the key is what tk uses
    const keys = await ssh(ip, key, 'stat -c %a:%U ~/.ssh ~/.ssh/authorized_keys');
    expect(keys.stdout).toBe('700:admin\n600:admin\n');
  });

  it('keeps the disk across stop and run, and a guest write under the host home never reaches the host', async () => {
    await startVm(sim, 'demo');
    const marker = `/root/tart-sim-guest-test-${process.pid}`;
    const w = await tartSim(['exec', 'demo', 'sudo', 'sh', '-c', `echo kept > /var/tmp/persist.txt && echo x > ${marker}`], { env: sim.env });
    expect(w).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(() => readFileSync(marker)).toThrow();
    const stop = await tartSim(['stop', 'demo'], { env: sim.env });
    expect(stop.code).toBe(0);
    expect((await tartSim(['list', '--format', 'json'], { env: sim.env })).stdout).toMatch(/"State" : "stopped"/);
    await startVm(sim, 'demo');
    const r = await tartSim(['exec', 'demo', 'sudo', 'cat', '/var/tmp/persist.txt', marker], { env: sim.env });
    expect(r).toEqual({ code: 0, stdout: 'kept\nx\n', stderr: '' });
  });

  it('isolates two VMs from each other (files, hostnames, IPs)', async () => {
    await cloneUbuntu(sim, 'other');
    await Promise.all([startVm(sim, 'demo'), startVm(sim, 'other')]);
    await tartSim(['exec', 'demo', 'sh', '-c', 'echo mine > /tmp/only-demo; sudo sh -c "echo d > /etc/only-demo"'], { env: sim.env });
    const o = await tartSim(['exec', 'other', 'sh', '-c', 'hostname; ls /tmp/only-demo /etc/only-demo 2>&1 | wc -l; cat /etc/only-demo 2>/dev/null || echo absent'], { env: sim.env });
    expect(o.stdout).toBe('other\n2\nabsent\n');
    const [a, b] = await Promise.all([ipOf(sim, 'demo'), ipOf(sim, 'other')]);
    expect(a).not.toBe(b);
    const ps = await tartSim(['exec', 'other', 'ps', '-e', '-o', 'comm='], { env: sim.env });
    expect(ps.stdout).not.toMatch(/node|tart-sim|vitest/);
    await tartSim(['delete', 'other'], { env: sim.env }).catch(() => undefined);
  });

  it('kill -9 of run: list says stopped at once and the guest sshd is gone', async () => {
    const vm = await startVm(sim, 'demo');
    const ip = await ipOf(sim, 'demo');
    await waitFor('sshd', () => portOpen(ip));
    // a session inside the guest that would otherwise outlive run
    await tartSim(['exec', 'demo', 'sh', '-c', 'nohup sleep 313.7 >/dev/null 2>&1 &'], { env: sim.env });
    vm.child.kill('SIGKILL');
    await vm.exited;
    const list = await tartSim(['list', '--format', 'json'], { env: sim.env });
    expect(list.stdout).toMatch(/"Name" : "demo",[\s\S]*?"State" : "stopped"/);
    await waitFor('port 22 to close', async () => !(await portOpen(ip)), 3000);
    const sleepers = execFileSync('ps', ['-e', '-o', 'args='], { encoding: 'utf8' });
    expect(sleepers).not.toMatch(/^sleep 313\.7$/m);
    // ip still answers from the lease, like Tart's dhcp resolver
    expect((await tartSim(['ip', 'demo'], { env: sim.env })).stdout.trim()).toBe(ip);
  });
});
