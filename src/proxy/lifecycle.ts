// Start/stop/status of the proxy daemon from another process (tk CLI, provisioning).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TkError } from '../core/errors.js';
import type { ProxyConfig } from './config.js';
import { proxyLogPath } from './daemon.js';
import { processStart, readPidFile, removePidFile, type PidInfo } from './pidfile.js';
import { proxyDir, storeId } from './tokens.js';

export interface Health {
  status: string;
  proxy: string;
  pid: number;
  bind: string;
  port: number;
  started: string;
  upstream: string;
  vms: number;
  credential: string | null;
  store: string | null;
}

/** GET /health; undefined when nothing (or not a tk proxy) answers. */
export function probeHealth(bind: string, port: number, timeoutMs = 500): Promise<Health | undefined> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: bind, port, path: '/health', method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          const h = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Health;
          resolve(res.statusCode === 200 && h.proxy === 'tk' ? h : undefined);
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Is anything at all listening there (to tell "port taken by something else" apart)? */
function probeAnyHttp(bind: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: bind, port, path: '/health', method: 'GET', timeout: 500, agent: false }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code !== 'ECONNREFUSED' && e.code !== 'EADDRNOTAVAIL'));
    req.end();
  });
}

/** The standalone daemon bundle (dist/proxy/tk-proxy.js), found from this module's location; TK_PROXY_ENTRY overrides. */
export function resolveProxyEntry(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['TK_PROXY_ENTRY'];
  if (override) return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const c of [join(dir, 'tk-proxy.js'), join(dir, 'proxy', 'tk-proxy.js'), join(dir, 'dist', 'proxy', 'tk-proxy.js')]) {
      if (existsSync(c)) return c;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new TkError('proxy', 'Cannot find the proxy daemon program (dist/proxy/tk-proxy.js).', { hint: 'Build tk with `npm run build`, or set TK_PROXY_ENTRY to its path.' });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Spawn the daemon detached (own session, stdio to the proxy log) and wait until /health answers.
 * The config travels in the environment (TK_PROXY_CONFIG; it holds commands, never secrets); argv
 * holds only home, bind and port.
 */
export async function spawnDaemon(opts: { config: ProxyConfig; home: string; bind: string; port: number; env?: NodeJS.ProcessEnv; waitMs?: number }): Promise<Health> {
  const env = opts.env ?? process.env;
  const entry = resolveProxyEntry(env);
  mkdirSync(proxyDir(opts.home), { recursive: true, mode: 0o700 });
  const logFd = openSync(proxyLogPath(opts.home), 'a', 0o600);
  let exited: number | null | undefined;
  try {
    const child = spawn(process.execPath, [entry, '--home', opts.home, '--bind', opts.bind, '--port', String(opts.port)], {
      detached: true,
      stdio: ['ignore', 'ignore', logFd],
      // NODE_USE_SYSTEM_CA: trust the OS store too (corporate TLS inspection, macOS keychain roots).
      env: { NODE_USE_SYSTEM_CA: '1', ...env, TK_PROXY_CONFIG: JSON.stringify(opts.config) },
      cwd: opts.home,
    });
    child.on('exit', (code) => (exited = code));
    child.on('error', () => (exited = -1));
    child.unref();
  } finally {
    closeSync(logFd);
  }
  const deadline = Date.now() + (opts.waitMs ?? 2000);
  while (Date.now() < deadline) {
    const h = await probeHealth(opts.bind, opts.port, 300);
    if (h) return h;
    // Our child exited: fail fast, unless it lost a start race to another proxy that is coming up.
    if (exited !== undefined && readPidFile(opts.home).state !== 'running') break;
    await sleep(40);
  }
  const s = readPidFile(opts.home);
  const already = s.state === 'running' ? ` A proxy is already running at http://${s.info.bind}:${s.info.port} (PID ${s.info.pid}).` : '';
  throw new TkError('proxy', `The credential proxy did not come up at http://${opts.bind}:${opts.port}${exited !== undefined ? ` (it exited with code ${exited})` : ' within 2 s'}.${already}`, {
    hint: `See ${proxyLogPath(opts.home)} for the reason; check with \`tk proxy status\`.`,
  });
}

const inflight = new Map<string, Promise<Health>>();

/**
 * Make sure a tk proxy answers at bind:port; start one if nothing listens there. Concurrent callers
 * (several VMs provisioned at once, in this process or in other tk processes) start one daemon:
 * in-process they share the promise, across processes an O_EXCL spawn lock elects the spawner.
 */
export function ensureRunning(opts: { config: ProxyConfig; home: string; env?: NodeJS.ProcessEnv }): Promise<Health> {
  const key = `${opts.home}|${opts.config.credential_proxy_bind}|${opts.config.credential_proxy_port}`;
  let p = inflight.get(key);
  if (!p) {
    p = ensureRunningOnce(opts).finally(() => inflight.delete(key));
    inflight.set(key, p);
  }
  return p;
}

function tryLock(file: string): boolean {
  try {
    closeSync(openSync(file, 'wx', 0o600));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      if (Date.now() - statSync(file).mtimeMs > 10_000) rmSync(file, { force: true });
    } catch {
      /* gone meanwhile */
    }
    return false;
  }
}

/** A running proxy is only usable if it serves our token store and forwards to our upstream. */
function usable(h: Health, opts: { config: ProxyConfig; home: string }): Health {
  const where = `http://${h.bind}:${h.port} (PID ${h.pid})`;
  if (h.store !== storeId(opts.home)) {
    throw new TkError('proxy', `The tk credential proxy at ${where} belongs to another tk home, so it would reject this VM's token.`, {
      hint: 'Stop it with `tk proxy stop` under its TK_HOME, or set another credential_proxy_port.',
    });
  }
  const want = new URL(opts.config.credential_proxy_upstream).origin;
  if (h.upstream !== want) {
    throw new TkError('proxy', `The credential proxy at ${where} forwards to ${h.upstream}, but credential_proxy_upstream is ${want}.`, {
      hint: 'Run `tk proxy stop`; the next spawn starts it with the current configuration.',
    });
  }
  return h;
}

/** How long a listener that does not answer like tk's proxy gets before it counts as foreign. */
const FOREIGN_GRACE_MS = 5000;

async function ensureRunningOnce(opts: { config: ProxyConfig; home: string; env?: NodeJS.ProcessEnv }): Promise<Health> {
  const bind = opts.config.credential_proxy_bind;
  const port = opts.config.credential_proxy_port;
  const h = await probeHealth(bind, port);
  if (h) return usable(h, opts);
  if (await probeAnyHttp(bind, port)) {
    // A tk proxy that another tk just started (or any proxy on a loaded machine) can be slow to
    // answer /health: seen with 10 parallel spawns. Give it a few seconds before deciding that
    // the port belongs to something else.
    const until = Date.now() + FOREIGN_GRACE_MS;
    while (Date.now() < until) {
      const again = await probeHealth(bind, port, 1000);
      if (again) return usable(again, opts);
      await sleep(100);
    }
    throw new TkError('proxy', `Something that is not the tk credential proxy listens on ${bind}:${port}.`, {
      hint: 'Stop it, or choose another credential_proxy_port.',
    });
  }
  const s = readPidFile(opts.home);
  if (s.state === 'running' && (s.info.bind !== bind || s.info.port !== port)) {
    throw new TkError('proxy', `A credential proxy is already running at http://${s.info.bind}:${s.info.port} (PID ${s.info.pid}), not at ${bind}:${port} as configured.`, {
      hint: 'Stop it with `tk proxy stop` so the next spawn starts one with the current settings.',
    });
  }
  mkdirSync(proxyDir(opts.home), { recursive: true, mode: 0o700 });
  const lock = join(proxyDir(opts.home), 'spawn.lock');
  const deadline = Date.now() + 4000;
  while (!tryLock(lock)) {
    // another tk process is starting the proxy: wait for it
    const h2 = await probeHealth(bind, port, 300);
    if (h2) return usable(h2, opts);
    if (Date.now() > deadline) {
      throw new TkError('proxy', `Another tk is starting the credential proxy, but it did not come up at http://${bind}:${port}.`, {
        hint: `See ${proxyLogPath(opts.home)}; if no tk is running, delete ${lock}.`,
      });
    }
    await sleep(50);
  }
  try {
    const h3 = await probeHealth(bind, port, 300);
    if (h3) return usable(h3, opts);
    return usable(await spawnDaemon({ config: opts.config, home: opts.home, bind, port, ...(opts.env ? { env: opts.env } : {}) }), opts);
  } finally {
    rmSync(lock, { force: true });
  }
}

export type StopResult =
  | { result: 'stopped'; info: PidInfo }
  | { result: 'stale'; info: PidInfo }
  | { result: 'invalid'; detail: string }
  | { result: 'not-running' };

/** SIGTERM the proxy named by the PID file, but only if that PID really is it (same start time). */
export async function stopDaemon(home: string, waitMs = 3000): Promise<StopResult> {
  const s = readPidFile(home);
  if (s.state === 'absent') return { result: 'not-running' };
  if (s.state === 'invalid') {
    removePidFile(home);
    return { result: 'invalid', detail: s.detail };
  }
  if (s.state === 'stale') {
    removePidFile(home);
    return { result: 'stale', info: s.info };
  }
  try {
    process.kill(s.info.pid, 'SIGTERM');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') {
      removePidFile(home);
      return { result: 'stale', info: s.info };
    }
    throw new TkError('proxy', `Cannot stop the credential proxy (PID ${s.info.pid}): ${(e as Error).message}.`, { hint: 'Stop it by hand, or check your permissions.' });
  }
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && processStart(s.info.pid) === s.info.start) await sleep(25);
  if (processStart(s.info.pid) === s.info.start) {
    throw new TkError('proxy', `The credential proxy (PID ${s.info.pid}) did not stop within ${Math.round(waitMs / 1000)} s.`, { hint: `Kill it by hand: kill ${s.info.pid}` });
  }
  const after = readPidFile(home);
  if (after.state !== 'absent' && !(after.state === 'running' && after.info.pid !== s.info.pid)) removePidFile(home);
  return { result: 'stopped', info: s.info };
}

export type PortStatus = { kind: 'tk'; pid: number; sameHome: boolean } | { kind: 'free' } | { kind: 'foreign' };

/** Who holds bind:port, read only (for `tk doctor`): tk's proxy (of this home or another), nothing, or something else. */
export async function proxyPortStatus(bind: string, port: number, home: string, timeoutMs = 1000): Promise<PortStatus> {
  const h = await probeHealth(bind, port, timeoutMs);
  if (h) return { kind: 'tk', pid: h.pid, sameHome: h.store === storeId(home) };
  return (await probeAnyHttp(bind, port)) ? { kind: 'foreign' } : { kind: 'free' };
}
