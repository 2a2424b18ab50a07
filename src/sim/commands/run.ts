// tart run <name>: the VM lives exactly as long as this process (see src/sim/guest/launch.ts for the
// process chain and src/sim/assets/guest-init.pl for the guest). Stop reasons on stdout like Tart:
//   SIGINT  -> "Stopping VM..." (hard power-off), exit 0
//   SIGUSR2 -> "Requesting guest OS to stop..." (guest init shuts down), then "guest has stopped the virtual machine", exit 0
//   guest poweroff -> "guest has stopped the virtual machine", exit 0; guest reboot -> the guest boots again
//   SIGUSR1 -> suspend: only with --suspendable (macOS guests); otherwise "Failed to suspend the VM: …", exit 1
//   SIGTERM/SIGKILL: not handled; this process dies and the guest with it.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { parseCommand, type CommandSpec } from '../args.js';
import { otherError, validationError, vmAlreadyRunning } from '../errors.js';
import { faultsFor } from '../faults.js';
import { isCompleteDir, listVmNames, readConfigAt, readVmConfig, simDir, statePath, touchAccessed, vmDir, writeConfigAt } from '../home.js';
import { writeErr, writeOut } from '../io.js';
import { grantLease, ipForMac } from '../leases.js';
import { acquireRunLock, readLiveLock, withHomeLock, type HeldLock } from '../lock.js';
import { resolveShares } from '../guest/dirs.js';
import { bootGuest, type Guest } from '../guest/launch.js';

export const RUN_SPEC: CommandSpec = {
  name: 'run',
  abstract: 'Run a VM',
  args: [{ name: 'name', help: 'VM name' }],
  options: [
    { long: 'no-graphics', help: "Don't open a UI window." },
    { long: 'serial', help: 'Open serial console in /dev/ttySXX' },
    { long: 'serial-path', value: 'serial-path', help: 'Attach an externally created serial console' },
    { long: 'graphics', help: 'Force open a UI window, even when VNC is enabled.', hidden: true },
    { long: 'no-audio', help: 'Disable audio pass-through to host.' },
    { long: 'no-clipboard', help: 'Disable clipboard sharing between host and guest.' },
    { long: 'recovery', help: 'Boot into recovery mode' },
    { long: 'vnc', help: 'Use screen sharing instead of the built-in UI.' },
    { long: 'vnc-experimental', help: "Use Virtualization.Framework's VNC server instead of the built-in UI." },
    { long: 'disk', value: 'disk', repeating: true, help: 'Additional disk attachments with an optional read-only and synchronization options' },
    { long: 'rosetta', value: 'tag', help: 'Attaches a Rosetta share to the guest Linux VM with a specific tag' },
    { long: 'dir', value: 'dir', repeating: true, help: 'Additional directory shares with an optional read-only and mount tag options' },
    { long: 'nested', help: 'Enable nested virtualization if possible' },
    { long: 'net-bridged', value: 'interface name', repeating: true, help: 'Use bridged networking instead of the default shared (NAT) networking' },
    { long: 'net-softnet', help: 'Use software networking provided by Softnet instead of the default shared (NAT) networking' },
    { long: 'net-softnet-allow', value: 'comma-separated CIDRs', help: 'Comma-separated list of CIDRs to allow the traffic to when using Softnet isolation' },
    { long: 'net-softnet-block', value: 'comma-separated CIDRs', help: 'Comma-separated list of CIDRs to block the traffic to when using Softnet isolation' },
    { long: 'net-softnet-expose', value: 'comma-separated port specifications', help: 'Comma-separated list of TCP ports to expose (e.g. --net-softnet-expose 2222:22,8080:80)' },
    { long: 'net-softnet-control-fd', value: 'net-softnet-control-fd', type: 'int', hidden: true, help: 'Softnet control socket' },
    { long: 'net-host', help: 'Restrict network access to the host-only network' },
    { long: 'root-disk-opts', value: 'root-disk-opts', help: 'Set the root disk options (e.g. --root-disk-opts="ro" or --root-disk-opts="caching=cached,sync=none")', default: '' },
    { long: 'suspendable', help: 'Disables audio and entropy devices and switches to only Mac-specific input devices.' },
    { long: 'capture-system-keys', help: 'Whether system hot keys should be sent to the guest instead of the host' },
    { long: 'no-trackpad', help: 'Disable the pointing device emulation (use --no-pointer, --no-keyboard for other devices)' },
    { long: 'no-pointer', help: 'Disable the pointer' },
    { long: 'no-keyboard', help: 'Disable the keyboard' },
    { long: 'provisioning-opts', value: 'provisioning-opts', hidden: true, help: 'macOS 27 provisioning options' },
  ],
};

const DISK_OPTIONS = /^(ro|sync=(none|fsync|full)|caching=(automatic|cached|uncached))$/;

function ipDelayMs(): number {
  const raw = process.env['TART_SIM_IP_DELAY_MS'];
  const v = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(v) && v >= 0 ? v : 500;
}

function vncUrl(): string {
  const words = ['apple', 'river', 'stone', 'cloud', 'maple', 'ocean', 'tiger', 'lemon'];
  const pick = (): string => words[Math.floor(Math.random() * words.length)] as string;
  return `vnc://:${pick()}-${pick()}-${pick()}-${pick()}@127.0.0.1:5900`;
}

export async function run(argv: string[]): Promise<number> {
  const { args, opts } = parseCommand(RUN_SPEC, argv);
  const name = args['name'] as string;
  const flag = (k: string): boolean => opts[k] === true;
  const list = (k: string): string[] => (opts[k] as string[] | undefined) ?? [];

  // ---- validate() (ValidationError, exit 64, subcommand usage; a missing VM is "Error: …", exit 1)
  if (flag('vnc') && flag('vnc-experimental')) throw validationError('--vnc and --vnc-experimental are mutually exclusive', 'run');
  const softnet = flag('net-softnet') || ['net-softnet-allow', 'net-softnet-block', 'net-softnet-expose', 'net-softnet-control-fd'].some((k) => opts[k] !== undefined);
  if ([list('net-bridged').length > 0, softnet, flag('net-host')].filter(Boolean).length > 1) {
    throw validationError('--net-bridged, --net-softnet and --net-host are mutually exclusive', 'run');
  }
  if (flag('graphics') && flag('no-graphics')) throw validationError('--graphics and --no-graphics are mutually exclusive', 'run');
  if (flag('capture-system-keys') && (flag('no-graphics') || flag('vnc') || flag('vnc-experimental'))) {
    throw validationError('--captures-system-keys can only be used with the default VM view', 'run');
  }
  const dir = vmDir(name);
  if (!existsSync(dir)) throw otherError(`the specified VM "${name}" does not exist`);
  if (!isCompleteDir(dir)) throw otherError('VM is missing some of its files (config.json, disk.img or nvram.bin)');
  const config = readConfigAt(dir);
  const suspendable = flag('suspendable') || existsSync(statePath(dir));
  if (suspendable && config.os !== 'darwin') throw validationError('You can only suspend macOS VMs', 'run');
  for (const k of ['no-trackpad', 'no-keyboard', 'no-pointer']) {
    if (flag(k) && suspendable) throw validationError(`--${k} cannot be used with --suspendable`, 'run');
  }
  if (flag('no-trackpad') && config.os !== 'darwin') throw validationError('--no-trackpad can only be used with macOS VMs', 'run');
  for (const d of [...list('disk'), opts['root-disk-opts'] ? `x:${String(opts['root-disk-opts'])}` : '']) {
    if (!d) continue;
    if (d.includes('amd64')) {
      throw validationError("Seems you have a disk targeting x86 architecture (hence amd64 in the name). Please use an 'arm64' version of the disk.", 'run');
    }
  }
  const bridged = list('net-bridged');
  if (bridged.length > 0) {
    // The sim has no bridgeable interfaces (its VMs share the host's network).
    throw validationError(`no bridge interfaces matched "[${bridged.map((b) => `"${b}"`).join(', ')}]", available interfaces: []`, 'run');
  }

  // ---- run(): errors here use the root usage block
  const shares = resolveShares(list('dir'));
  for (const d of list('disk')) {
    const [path, ...rest] = d.split(':');
    const options = rest.join(':');
    if (options && !options.split(',').every((o) => DISK_OPTIONS.test(o))) throw otherError(`invalid disk options "${options}" in --disk ${d}`);
    const remote = /^(nbd|nbds|nbd\+unix):\/\//.test(path ?? '') || /^[^/]+\.[^/]+\/[^/]/.test(path ?? ''); // nbd URL or OCI name
    if (!path || (!remote && !existsSync(path))) {
      throw otherError(`the additional disk "${path ?? ''}" does not exist; check the --disk path`);
    }
  }

  // ---- start sequence: global lock, MAC collision, per-VM lock
  const held: HeldLock = await withHomeLock(() => {
    for (const other of listVmNames()) {
      if (other === name || !readLiveLock(other)) continue;
      let otherMac = '';
      try {
        otherMac = readVmConfig(other).macAddress.toLowerCase();
      } catch {
        continue;
      }
      if (otherMac === config.macAddress.toLowerCase()) {
        writeOut('There is already a running VM with the same MAC address!\nResetting VM to assign a new MAC address...\n');
        return import('../tmp.js').then(({ randomMac }) => {
          config.macAddress = randomMac();
          writeConfigAt(dir, config);
          rmSync(statePath(dir), { force: true });
          return takeLock();
        });
      }
    }
    return takeLock();
  });
  function takeLock(): HeldLock {
    const h = acquireRunLock(name);
    if (!h) throw vmAlreadyRunning(name);
    return h;
  }
  held.update({ suspendable });
  touchAccessed(name);

  if (existsSync(statePath(dir))) {
    // The sim cannot freeze processes across a `run` process exit (the VM's lifetime IS that process):
    // "restoring" boots the guest again on the same disk. See src/sim/README.md.
    writeOut('restoring VM state from a snapshot...\n');
    rmSync(statePath(dir), { force: true });
    writeOut('resuming VM...\n');
  }
  if (flag('vnc') || flag('vnc-experimental')) {
    const url = vncUrl();
    writeOut(flag('no-graphics') || process.env['CI'] !== undefined ? `VNC server is running at ${url}\n` : `Opening ${url}...\n`);
  }

  const faults = faultsFor(name, writeErr);
  const ip = ipForMac(config.macAddress);
  let guest: Guest | null = null;
  let stopping: 'hard' | 'graceful' | 'suspend' | 'failed-suspend' | null = null;
  let leaseTimer: NodeJS.Timeout | null = null;
  const killGuest = (): void => {
    if (guest) guest.child.kill('SIGKILL');
  };
  let resolveEarly: ((code: number) => void) | null = null;
  const early = new Promise<number>((r) => (resolveEarly = r));

  process.on('SIGINT', () => {
    if (stopping === 'hard') return;
    stopping = 'hard';
    writeOut('Stopping VM...\n');
    if (guest) killGuest();
    else resolveEarly?.(0);
  });
  process.on('SIGUSR2', () => {
    if (stopping) return;
    writeOut('Requesting guest OS to stop...\n');
    if (guest) {
      stopping = 'graceful';
      try {
        process.kill(guest.initPid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
  });
  process.on('SIGUSR1', () => {
    if (stopping === 'hard' || stopping === 'suspend' || stopping === 'failed-suspend') return;
    if (suspendable) {
      stopping = 'suspend';
      writeOut('pausing VM to take a snapshot...\n');
      writeOut('creating a snapshot...\n');
      writeFileSync(statePath(dir), JSON.stringify({ tartSim: 1, name, savedAt: new Date().toISOString(), memorySize: config.memorySize }));
      writeOut('snapshot created successfully! shutting down the VM...\n');
      if (guest) killGuest();
      else resolveEarly?.(0);
    } else {
      stopping = 'failed-suspend';
      writeOut('Failed to suspend the VM: the VM was not started with --suspendable, its state cannot be saved\n');
      if (guest) killGuest();
      else resolveEarly?.(1);
    }
  });
  if (faults.runDiesAfterMs !== undefined) {
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), faults.runDiesAfterMs).unref();
  }

  const finish = (code: number): number => {
    if (leaseTimer) clearTimeout(leaseTimer);
    held.release();
    return code;
  };

  for (;;) {
    if (stopping === 'hard') return finish(0);
    try {
      const booting = bootGuest(
        { name, ip, os: config.os, simDir: simDir(name), shares, bootDelayMs: faults.bootDelayMs ?? 0, noSshd: faults.sshdRefuse === true },
        writeErr,
      );
      const first = await Promise.race([booting, early.then((c) => ({ early: c }))]);
      if ('early' in first) {
        void booting.then((g) => g.child.kill('SIGKILL'), () => {});
        return finish(first.early);
      }
      guest = first;
    } catch (e) {
      if (stopping === 'hard' || stopping === 'suspend') return finish(0);
      if (stopping === 'failed-suspend') return finish(1);
      writeErr(`${(e as Error).message}\n`);
      return finish(1);
    }
    held.update({ initPid: guest.anchorPid, suspendable });
    if (stopping === 'hard' || stopping === 'suspend' || stopping === 'failed-suspend') killGuest();
    if (!faults.noIp) {
      const delay = ipDelayMs() + (faults.bootDelayMs ?? 0);
      leaseTimer = setTimeout(() => {
        leaseTimer = null;
        try {
          grantLease(config.macAddress, name);
        } catch (e) {
          writeErr(`tart-sim: could not record the DHCP lease: ${(e as Error).message}\n`);
        }
      }, delay);
    }
    const result = await guest.exited;
    if (leaseTimer) clearTimeout(leaseTimer);
    leaseTimer = null;
    guest = null;
    if (stopping === 'hard' || stopping === 'suspend') return finish(0);
    if (stopping === 'failed-suspend') return finish(1);
    if (result.code === 3) continue; // guest reboot: same VM, boots again
    if (result.code === 0) {
      writeOut('guest has stopped the virtual machine\n');
      return finish(0);
    }
    writeOut(`guest has stopped the virtual machine due to error: the guest's init ended (${result.code ?? result.signal})\n`);
    return finish(0);
  }
}
