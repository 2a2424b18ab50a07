// Shared helpers for tart-sim tests: build once, run bin/tart-sim against a temp TART_HOME, fake a
// running VM by holding its run lock from a helper process.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const TART_SIM = join(ROOT, 'bin/tart-sim');
const DIST = join(ROOT, 'dist/sim/tart-sim.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Build dist/ (serialized across test workers and test files with a lock directory) when one of
 * `outputs` is missing or older than the newest file under `srcDir`. Default: the simulator.
 */
export function ensureBuilt(outputs: readonly string[] = [DIST], srcDir = join(ROOT, 'src/sim')): void {
  const lock = join(ROOT, 'dist', '.sim-test-build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A stale lock (older than 2 min) is taken over.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone */
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for the tart-sim build lock');
      spawnSync('sleep', ['0.2']);
    }
  }
  try {
    const src = newestMtime(srcDir);
    if (outputs.some((o) => !existsSync(o) || statSync(o).mtimeMs < src)) {
      const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface SimEnv {
  dir: string;
  home: string;
  leases: string;
  registry: string;
  env: Record<string, string>;
  cleanup(): void;
}

/** A temp TART_HOME + lease file + registry. `extra` is merged into the environment. */
export function makeSimEnv(extra: Record<string, string> = {}): SimEnv {
  const dir = mkdtempSync(join(tmpdir(), 'tart-sim-test-'));
  const home = join(dir, 'home');
  const leases = join(dir, 'leases.json');
  const registry = join(dir, 'registry');
  const env: Record<string, string> = {
    TART_HOME: home,
    TART_SIM_LEASES: leases,
    TART_SIM_REGISTRY: registry,
    CI: 'true',
    ...extra,
  };
  return { dir, home, leases, registry, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface SimResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run bin/tart-sim with the given environment (added to a clean copy of process.env). */
export function tartSim(
  args: string[],
  opts: { env: Record<string, string>; input?: string; timeoutMs?: number; cwd?: string },
): Promise<SimResult> {
  return new Promise((resolvePromise) => {
    const baseEnv: Record<string, string | undefined> = { ...process.env };
    for (const k of Object.keys(baseEnv)) if (k.startsWith('TART_')) delete baseEnv[k];
    // Tart switches its progress output on CI's presence; CI runs this suite with CI=true, so the
    // simulator gets it only where a test asks for it.
    delete baseEnv['CI'];
    const child = execFile(
      TART_SIM,
      args,
      { env: { ...baseEnv, ...opts.env }, timeout: opts.timeoutMs ?? 30_000, encoding: 'utf8', ...(opts.cwd ? { cwd: opts.cwd } : {}) },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

const HOLDER = `
const fs = require('fs'), path = require('path');
const [lockPath, mode, marker] = process.argv.slice(1);
const stat = fs.readFileSync('/proc/self/stat', 'utf8');
const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
fs.mkdirSync(path.dirname(lockPath), { recursive: true });
fs.writeFileSync(lockPath, JSON.stringify({ pid: process.pid, startTime, initPid: process.pid }));
const note = (s) => { if (marker) fs.appendFileSync(marker, s + '\\n'); };
process.on('SIGINT', () => { note('SIGINT'); if (mode !== 'ignore-sigint') process.exit(0); });
process.on('SIGUSR1', () => { note('SIGUSR1'); process.exit(1); });
process.on('SIGUSR2', () => { note('SIGUSR2'); });
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;

export interface FakeRun {
  pid: number;
  child: ChildProcess;
  marker: string;
  exited: Promise<number | null>;
  kill(): void;
}

/**
 * Make `name` look running the way `tart-sim run` does: a live process holding vms/<name>/.sim/run.lock.
 * mode 'ignore-sigint' keeps it alive on SIGINT (to exercise stop's SIGKILL path).
 */
export function fakeRunning(
  sim: SimEnv,
  name: string,
  mode: 'normal' | 'ignore-sigint' = 'normal',
  lockPath = join(sim.home, 'vms', name, '.sim', 'run.lock'),
): Promise<FakeRun> {
  const marker = join(sim.dir, `${name}-signals.log`);
  writeFileSync(marker, '');
  const child = spawn(process.execPath, ['-e', HOLDER, lockPath, mode, marker], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolvePromise, reject) => {
    child.stdout?.once('data', () =>
      resolvePromise({ pid: child.pid as number, child, marker, exited, kill: () => void child.kill('SIGKILL') }),
    );
    child.once('error', reject);
  });
}
