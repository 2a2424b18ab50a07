// `tart-sim run` lifetimes and stop reasons, suspend semantics, run validation, exec behaviour.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, type SimEnv } from './helpers.js';
import { cloneUbuntu, guestSimEnv, ipOf, killAll, lockOf, portOpen, startVm, tartSim, waitFor } from './guest-helpers.js';

let sim: SimEnv;
const env = (): { env: Record<string, string> } => ({ env: sim.env });
const state = async (name: string): Promise<string> => {
  const r = await tartSim(['list', '--format', 'json'], env());
  const list = JSON.parse(r.stdout) as { Name: string; State: string }[];
  return list.find((v) => v.Name === name)?.State ?? 'missing';
};

beforeAll(async () => {
  ensureBuilt();
  sim = guestSimEnv();
  await cloneUbuntu(sim, 'demo');
  await cloneUbuntu(sim, 'mac', 'ghcr.io/cirruslabs/macos-tahoe-base:latest');
});
afterEach(killAll);
afterAll(() => sim.cleanup());

describe('stop reasons', () => {
  it('guest `sudo poweroff` ends run with exit 0 and "guest has stopped the virtual machine"', async () => {
    const vm = await startVm(sim, 'demo');
    const ip = await ipOf(sim, 'demo');
    await tartSim(['exec', 'demo', 'sudo', 'poweroff'], env());
    expect((await vm.exited).code).toBe(0);
    expect(vm.stdout()).toBe('guest has stopped the virtual machine\n');
    expect(await state('demo')).toBe('stopped');
    expect(await portOpen(ip)).toBe(false);
  });

  it('shutdown -h now and halt power off too; reboot boots the guest again and run keeps going', async () => {
    const vm = await startVm(sim, 'demo');
    const before = lockOf(sim, 'demo')?.initPid;
    await tartSim(['exec', 'demo', 'sudo', 'reboot'], env());
    await waitFor('the rebooted guest', () => {
      const l = lockOf(sim, 'demo');
      return l?.initPid !== undefined && l.initPid !== before;
    });
    expect((await tartSim(['exec', 'demo', 'hostname'], env())).stdout).toBe('demo\n');
    expect(vm.child.exitCode).toBeNull();
    await tartSim(['exec', 'demo', 'sudo', 'shutdown', '-h', 'now'], env());
    expect((await vm.exited).code).toBe(0);
    const vm2 = await startVm(sim, 'demo');
    await tartSim(['exec', 'demo', 'sudo', 'halt'], env());
    expect((await vm2.exited).code).toBe(0);
    expect(vm2.stdout()).toBe('guest has stopped the virtual machine\n');
  });

  it('SIGINT is a hard power-off: "Stopping VM...", exit 0; `tart-sim stop` does the same', async () => {
    const vm = await startVm(sim, 'demo');
    vm.child.kill('SIGINT');
    expect((await vm.exited).code).toBe(0);
    expect(vm.stdout()).toBe('Stopping VM...\n');
    const vm2 = await startVm(sim, 'demo');
    const stop = await tartSim(['stop', 'demo'], env());
    expect(stop).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(vm2.child.exitCode ?? (await vm2.exited).code).toBe(0);
    expect(vm2.stdout()).toBe('Stopping VM...\n');
    expect(await state('demo')).toBe('stopped');
  });

  it('SIGUSR2 asks the guest to shut down: "Requesting guest OS to stop..." then the guest stops, exit 0', async () => {
    const vm = await startVm(sim, 'demo');
    vm.child.kill('SIGUSR2');
    expect((await vm.exited).code).toBe(0);
    expect(vm.stdout()).toBe('Requesting guest OS to stop...\nguest has stopped the virtual machine\n');
  });

  it('SIGTERM is not handled: run dies and takes the guest with it', async () => {
    const vm = await startVm(sim, 'demo');
    const ip = await ipOf(sim, 'demo');
    await waitFor('sshd', () => portOpen(ip));
    vm.child.kill('SIGTERM');
    expect((await vm.exited).signal).toBe('SIGTERM');
    expect(await state('demo')).toBe('stopped');
    await waitFor('port 22 to close', async () => !(await portOpen(ip)), 3000);
  });
});

describe('suspend', () => {
  it('a Linux VM started without --suspendable dies on suspend: suspend exits 0, run prints the failure and exits 1', async () => {
    const vm = await startVm(sim, 'demo');
    expect(await tartSim(['suspend', 'demo'], env())).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await vm.exited).code).toBe(1);
    expect(vm.stdout()).toMatch(/^Failed to suspend the VM: .+\n$/);
    expect(await state('demo')).toBe('stopped');
  });

  it('a macOS VM with --suspendable suspends (state.vzvmsave, "suspended") and resumes with run, disk intact', async () => {
    const vm = await startVm(sim, 'mac', ['--suspendable']);
    await tartSim(['exec', 'mac', 'sh', '-c', 'echo before > ~/note'], env());
    expect((await tartSim(['suspend', 'mac'], env())).code).toBe(0);
    expect((await vm.exited).code).toBe(0);
    expect(vm.stdout()).toBe('pausing VM to take a snapshot...\ncreating a snapshot...\nsnapshot created successfully! shutting down the VM...\n');
    expect(existsSync(join(sim.home, 'vms', 'mac', 'state.vzvmsave'))).toBe(true);
    expect(await state('mac')).toBe('suspended');
    const vm2 = await startVm(sim, 'mac');
    expect(vm2.stdout()).toBe('restoring VM state from a snapshot...\nresuming VM...\n');
    expect(existsSync(join(sim.home, 'vms', 'mac', 'state.vzvmsave'))).toBe(false);
    expect(await state('mac')).toBe('running');
    expect((await tartSim(['exec', 'mac', 'cat', '/home/admin/note'], env())).stdout).toBe('before\n');
    // a suspended VM is started suspendable: suspending again works
    await tartSim(['suspend', 'mac'], env());
    expect((await vm2.exited).code).toBe(0);
    expect(await tartSim(['stop', 'mac'], env())).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await state('mac')).toBe('stopped');
  });
});

describe('run validation', () => {
  const usage = "Usage: tart run [<options>] <name>\n  See 'tart run --help' for more information.\n";
  it.each([
    [['run', 'nope'], 1, 'Error: the specified VM "nope" does not exist\n'],
    [['run', '--suspendable', 'demo'], 64, `Error: You can only suspend macOS VMs\n${usage}`],
    [['run', '--vnc', '--vnc-experimental', 'demo'], 64, `Error: --vnc and --vnc-experimental are mutually exclusive\n${usage}`],
    [['run', '--graphics', '--no-graphics', 'demo'], 64, `Error: --graphics and --no-graphics are mutually exclusive\n${usage}`],
    [['run', '--net-softnet', '--net-host', 'demo'], 64, `Error: --net-bridged, --net-softnet and --net-host are mutually exclusive\n${usage}`],
    [['run', '--net-softnet-allow', '10.0.0.0/8', '--net-host', 'demo'], 64, `Error: --net-bridged, --net-softnet and --net-host are mutually exclusive\n${usage}`],
    [['run', '--no-graphics', '--capture-system-keys', 'demo'], 64, `Error: --captures-system-keys can only be used with the default VM view\n${usage}`],
    [['run', '--no-trackpad', 'demo'], 64, `Error: --no-trackpad can only be used with macOS VMs\n${usage}`],
    [['run', '--suspendable', '--no-keyboard', 'mac'], 64, `Error: --no-keyboard cannot be used with --suspendable\n${usage}`],
  ])('%j -> exit %i', async (args, code, stderr) => {
    expect(await tartSim(args as string[], env())).toEqual({ code, stdout: '', stderr });
  });

  it('a missing --disk image is refused before anything starts', async () => {
    expect(await tartSim(['run', '--no-graphics', '--disk', '/nonexistent/extra.img', 'demo'], env())).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: the additional disk "/nonexistent/extra.img" does not exist; check the --disk path\n',
    });
    expect(await state('demo')).toBe('stopped');
  });

  it('a second run of a running VM: `VM "demo" is already running!`, exit 2', async () => {
    await startVm(sim, 'demo');
    expect(await tartSim(['run', '--no-graphics', 'demo'], env())).toEqual({ code: 2, stdout: '', stderr: 'VM "demo" is already running!\n' });
  });
});

describe('exec', () => {
  it('fails with `VM "x" is not running` (exit 2) when stopped and with the missing-VM message for unknown VMs', async () => {
    expect(await tartSim(['exec', 'demo', 'true'], env())).toEqual({ code: 2, stdout: '', stderr: 'VM "demo" is not running\n' });
    expect(await tartSim(['exec', 'nope', 'true'], env())).toEqual({ code: 2, stdout: '', stderr: 'the specified VM "nope" does not exist\n' });
  });

  it('runs argv directly as admin in ~, separate stdout/stderr, exit code propagated, -i stdin, -t guest pty', async () => {
    await startVm(sim, 'demo');
    expect(await tartSim(['exec', 'demo', 'sh', '-c', 'echo out; echo err >&2; exit 7'], env())).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
    expect(await tartSim(['exec', 'demo', 'echo', '$HOME', '*'], env())).toEqual({ code: 0, stdout: '$HOME *\n', stderr: '' });
    expect((await tartSim(['exec', 'demo', 'sh', '-c', 'id -un; pwd'], env())).stdout).toBe('admin\n/home/admin\n');
    expect(await tartSim(['exec', '-i', 'demo', 'tr', 'a-z', 'A-Z'], { ...env(), input: 'hello\n' })).toEqual({ code: 0, stdout: 'HELLO\n', stderr: '' });
    // without -i the command sees no host stdin
    expect((await tartSim(['exec', 'demo', 'cat'], { ...env(), input: 'ignored\n' })).stdout).toBe('');
    const t = await tartSim(['exec', '-t', 'demo', 'tty'], env());
    expect(t.stdout).toMatch(/^\/dev\/pts\/\d+\r?\n$/);
    expect((await tartSim(['exec', 'demo', 'tty'], env())).stdout).toBe('not a tty\n');
    expect((await tartSim(['exec', 'demo', 'no-such-command-xyz'], env())).code).toBe(127);
  });
});
