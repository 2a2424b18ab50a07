// Boot wait (tachikoma §4.4, fixed): `tart ip --wait` in chunks up to one deadline, then a real SSH
// handshake with tk's key or the first-boot password. An IP counts only once the VM runs and SSH
// answers for THIS VM: the host key recorded at first boot must match (a stale DHCP lease can
// point at another VM).
import { TkError } from './errors.js';
import type { Clock } from '../ports/clock.js';
import type { SshPort, SshSession, SshTarget } from '../ports/ssh.js';
import type { TartPort } from '../ports/tart.js';

export interface BootWaitInput {
  vm: string;
  tart: TartPort;
  ssh: SshPort;
  clock: Clock;
  deadline: number;
  /** Builds the SSH target for an IP (key path, password, port, user). */
  target: (ip: string) => Omit<SshTarget, 'verifyHostKey' | 'readyTimeoutMs' | 'signal'>;
  /** Host key recorded at first boot; null: trust on first use. */
  expectedHostKey: string | null;
  logPath: string;
  signal?: AbortSignal;
  /** `tart run` was just spawned: tolerate a short "stopped" while it starts. */
  justStarted?: boolean;
  onPhase?: (phase: 'ip' | 'ssh', message: string) => void;
  log?: (line: string) => void;
}

export interface Booted {
  ip: string;
  session: SshSession;
}

function interrupted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new TkError('interrupted', 'Interrupted.', { hint: 'Run the same tk command again: it resumes where it stopped.' });
}

export async function waitForBoot(inp: BootWaitInput): Promise<Booted> {
  const { vm, tart, clock } = inp;
  let lastIp: string | null = null;
  let lastErr = '';
  let rejectedKey = false;
  let seenRunning = false;
  const graceUntil = inp.justStarted ? clock.now() + 15_000 : 0;
  inp.onPhase?.('ip', 'Waiting for an IP address...');
  for (;;) {
    interrupted(inp.signal);
    const remainingMs = inp.deadline - clock.now();
    if (remainingMs <= 0) break;
    // The VM must still be running (a dead `tart run` would otherwise look like a slow DHCP).
    const vms = await tart.list(inp.signal);
    const row = vms.find((v) => v.name === vm && v.source === 'local');
    if (row?.state === 'running') seenRunning = true;
    else if (!seenRunning && clock.now() < graceUntil) {
      // A `tart run` just spawned takes a moment to hold the VM's lock.
      await clock.sleep(200, inp.signal);
      continue;
    }
    if (!row || row.state !== 'running') {
      throw new TkError('vm', `The VM ${vm} stopped while booting.`, { hint: `See its log: ${inp.logPath}\nThen run \`tk spawn\` again, or remove it with \`tk destroy ${vm}\`.` });
    }
    const waitSecs = Math.max(1, Math.min(5, Math.floor(remainingMs / 1000)));
    const ip = await tart.ip(vm, waitSecs, inp.signal).catch(() => null);
    if (!ip) continue;
    if (ip !== lastIp) inp.onPhase?.('ssh', `Got ${ip}; waiting for SSH...`);
    lastIp = ip;
    let keyRejected = false;
    try {
      const t = inp.target(ip);
      const session = await inp.ssh.connect({
        ...t,
        readyTimeoutMs: Math.max(1000, Math.min(5000, inp.deadline - clock.now())),
        ...(inp.signal ? { signal: inp.signal } : {}),
        verifyHostKey: (key) => {
          if (inp.expectedHostKey === null || key === inp.expectedHostKey) return true;
          keyRejected = true;
          return false;
        },
      });
      return { ip, session };
    } catch (e) {
      if (inp.signal?.aborted) interrupted(inp.signal);
      lastErr = (e as Error).message;
      if (keyRejected) rejectedKey = true;
      inp.log?.(`ssh ${ip}: ${lastErr}`);
    }
    await clock.sleep(Math.min(500, Math.max(0, inp.deadline - clock.now())), inp.signal);
  }
  const common = `Check its log: ${inp.logPath}\nIf the VM is stuck, remove it with: tk destroy ${vm}`;
  if (lastIp === null) {
    throw new TkError('vm', `Timed out waiting for VM ${vm} to get an IP address.`, {
      hint: `The VM is running but DHCP did not assign an IP in time. Try:\n  tart ip --wait 30 ${vm}\n  tk spawn (again; it resumes)\n${common}`,
    });
  }
  if (rejectedKey) {
    throw new TkError('vm', `Timed out waiting for VM ${vm}: ${lastIp} answers with another machine's SSH host key (a stale DHCP lease).`, {
      hint: `Wait for the lease to change and run \`tk spawn\` again, or \`tk halt ${vm}\` then \`tk spawn\`.\n${common}`,
    });
  }
  throw new TkError('vm', `Timed out waiting for SSH on ${lastIp} (VM ${vm})${lastErr ? `: ${lastErr}` : ''}.`, {
    hint: `Raise boot_timeout_secs if the VM is just slow, then run \`tk spawn\` again.\n${common}`,
  });
}
