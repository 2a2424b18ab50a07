// Helpers for the sim guest tests: start `bin/tart-sim run` for real, reach the guest over SSH,
// and make sure no process outlives its test (every run process is SIGKILLed in cleanup, and the
// guest dies with it by construction).
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSimEnv, TART_SIM, tartSim, type SimEnv } from './helpers.js';

/**
 * Guest tests of one vitest run share one temp lease file (keyed by the vitest main process), so
 * VMs started by parallel test files get distinct loopback IPs, as they would on one Mac.
 */
export function guestSimEnv(extra: Record<string, string> = {}): SimEnv {
  // lease files of earlier vitest runs (their main process is gone) are removed
  for (const f of readdirSync(tmpdir())) {
    const m = /^tart-sim-guest-tests-(\d+)\.leases\.json(\.lock)?$/.exec(f);
    if (m && !existsSync(`/proc/${m[1]}`)) rmSync(join(tmpdir(), f), { force: true });
  }
  const leases = join(tmpdir(), `tart-sim-guest-tests-${process.ppid}.leases.json`);
  const sim = makeSimEnv({ TART_SIM_LEASES: leases, TART_SIM_IP_DELAY_MS: '100', ...extra });
  return { ...sim, leases };
}

export interface RunningVm {
  name: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<ChildProcess>();

function childEnv(env: Record<string, string>): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith('TART_')) delete base[k];
  return { ...base, ...env };
}

export async function waitFor<T>(what: string, fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function lockOf(sim: SimEnv, name: string): { pid: number; initPid?: number } | null {
  const p = join(sim.home, 'vms', name, '.sim', 'run.lock');
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as { pid: number; initPid?: number };
  } catch {
    return null;
  }
}

/** Start `tart-sim run --no-graphics <name> [...args]`; resolves once the guest is up (exec works) unless `wait` is false. */
export async function startVm(sim: SimEnv, name: string, args: string[] = [], opts: { wait?: boolean; env?: Record<string, string> } = {}): Promise<RunningVm> {
  const child = spawn(TART_SIM, ['run', '--no-graphics', ...args, name], { env: childEnv({ ...sim.env, ...opts.env }), stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => {
      started.delete(child);
      r({ code, signal });
    }),
  );
  const vm: RunningVm = { name, child, stdout: () => out, stderr: () => err, exited };
  if (opts.wait !== false) {
    let gone = false;
    void exited.then(() => (gone = true));
    await waitFor(`VM ${name} to boot`, () => {
      if (gone) throw new Error(`tart-sim run ${name} exited early: ${out} ${err}`);
      const l = lockOf(sim, name);
      return l && l.pid === child.pid ? l.initPid : undefined;
    });
  }
  return vm;
}

/** SIGKILL every run process a test started and wait until each is gone. */
export async function killAll(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const c of [...started]) {
    waits.push(new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r))));
    c.kill('SIGKILL');
  }
  await Promise.all(waits);
}

export function makeKey(sim: SimEnv): { key: string; pub: string } {
  const key = join(sim.dir, 'id_ed25519');
  if (!existsSync(key)) {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  }
  return { key, pub: readFileSync(`${key}.pub`, 'utf8') };
}

/** Authorize the key for admin, the way a provisioner would (through `tart exec -i`). */
export async function authorize(sim: SimEnv, name: string, pub: string): Promise<void> {
  const r = await tartSim(['exec', '-i', name, 'sh', '-c', 'cat >> ~/.ssh/authorized_keys'], { env: sim.env, input: pub });
  if (r.code !== 0) throw new Error(`authorize failed: ${r.stderr}`);
}

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function ssh(ip: string, key: string, command: string, timeoutMs = 20_000): Promise<CmdResult> {
  return new Promise((resolve) => {
    execFile(
      'ssh',
      ['-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', `admin@${ip}`, command],
      { timeout: timeoutMs, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Whether something accepts TCP connections on ip:port (loopback only). */
export function portOpen(ip: string, port = 22): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port });
    const done = (v: boolean): void => {
      s.destroy();
      resolve(v);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(2000, () => done(false));
  });
}

/** Read the SSH banner (proves a real sshd answers). */
export function sshBanner(ip: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port: 22 });
    let buf = '';
    s.on('data', (b) => {
      buf += b.toString();
      if (buf.includes('\n')) {
        s.destroy();
        resolve(buf.split('\n')[0] ?? '');
      }
    });
    s.once('error', () => resolve(''));
    s.setTimeout(5000, () => {
      s.destroy();
      resolve(buf);
    });
  });
}

export async function ipOf(sim: SimEnv, name: string, wait = 15): Promise<string> {
  const r = await tartSim(['ip', '--wait', String(wait), name], { env: sim.env });
  if (r.code !== 0) throw new Error(`tart-sim ip failed: ${r.stderr}`);
  return r.stdout.trim();
}

export async function cloneUbuntu(sim: SimEnv, name: string, image = 'ghcr.io/cirruslabs/ubuntu:latest'): Promise<void> {
  const r = await tartSim(['clone', image, name], { env: sim.env, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`clone failed: ${r.stderr}`);
  // Like Tart, a clone keeps the image's MAC unless it collides locally: VMs of parallel test files
  // (separate TART_HOMEs, one lease file) would share an IP. Orchard does the same after each clone.
  const m = await tartSim(['set', name, '--random-mac'], { env: sim.env });
  if (m.code !== 0) throw new Error(`set --random-mac failed: ${m.stderr}`);
}

export { tartSim };
