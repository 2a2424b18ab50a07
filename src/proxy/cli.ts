// `tk proxy start [--port P] [--bind B] [-d|--daemon] | stop | status`, with --json.
import { TkError, formatError, toTkError } from '../core/errors.js';
import { resolveProxyConfig, validateBind, validatePort, type ProxyConfig } from './config.js';
import { proxyLogPath, startDaemon } from './daemon.js';
import { probeHealth, spawnDaemon, stopDaemon } from './lifecycle.js';
import { defaultTkHome } from './paths.js';
import { pidPath, readPidFile } from './pidfile.js';

export interface ProxyIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  json: boolean;
}

const USAGE = 'Usage: tk proxy start [--port P] [--bind B] [-d|--daemon] | tk proxy stop | tk proxy status  [--json]';

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

function success(io: ProxyIo, message: string, data: Record<string, unknown> | null): void {
  if (io.json) io.stdout.write(JSON.stringify(sortKeys({ data, message, success: true }), null, 2) + '\n');
  else io.stdout.write(message + '\n');
}

function failure(io: ProxyIo, e: TkError): number {
  if (io.json) io.stdout.write(JSON.stringify(sortKeys({ error: formatError(e), success: false }), null, 2) + '\n');
  else io.stderr.write(`error: ${formatError(e)}\n`);
  return e.exitCode;
}

interface Parsed {
  sub: 'start' | 'stop' | 'status';
  port?: number;
  bind?: string;
  daemon: boolean;
  json: boolean;
}

function parse(args: string[]): Parsed {
  const out: Parsed = { sub: 'start', daemon: false, json: false };
  let sub: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (name: string): string => {
      const eq = a.indexOf('=');
      if (eq > 0) return a.slice(eq + 1);
      const v = args[++i];
      if (v === undefined) throw new TkError('usage', `${name} needs a value.`, { hint: USAGE });
      return v;
    };
    if (a === '--json') out.json = true;
    else if (a === '-d' || a === '--daemon') out.daemon = true;
    else if (a === '--port' || a.startsWith('--port=')) {
      const v = value('--port');
      if (!/^\d+$/.test(v)) throw new TkError('usage', `Invalid --port ${JSON.stringify(v)}: expected a port number 1-65535.`, { hint: USAGE });
      out.port = Number(v);
    } else if (a === '--bind' || a.startsWith('--bind=')) out.bind = value('--bind');
    else if (a === '-h' || a === '--help') throw new TkError('usage', USAGE);
    else if (!a.startsWith('-') && sub === undefined) sub = a;
    else throw new TkError('usage', `Unexpected argument ${JSON.stringify(a)} for tk proxy.`, { hint: USAGE });
  }
  if (sub !== undefined && sub !== 'start' && sub !== 'stop' && sub !== 'status') {
    throw new TkError('usage', `Unknown proxy command ${JSON.stringify(sub)}.`, { hint: USAGE });
  }
  out.sub = (sub ?? 'start') as Parsed['sub'];
  if (out.sub !== 'start' && (out.daemon || out.port !== undefined || out.bind !== undefined)) {
    throw new TkError('usage', `--port, --bind and --daemon only apply to \`tk proxy start\`.`, { hint: USAGE });
  }
  return out;
}

export async function proxyCommand(args: string[], io: ProxyIo, config: ProxyConfig, paths?: { home: string }): Promise<number> {
  let p: Parsed;
  try {
    p = parse(args);
  } catch (e) {
    return failure({ ...io, json: io.json || args.includes('--json') }, toTkError(e));
  }
  const out: ProxyIo = { ...io, json: io.json || p.json };
  const home = paths?.home ?? defaultTkHome();
  try {
    const cfg = resolveProxyConfig(config);
    if (p.sub === 'start') return await start(out, cfg, home, p);
    if (p.sub === 'stop') return await stop(out, home);
    return await status(out, cfg, home);
  } catch (e) {
    return failure(out, toTkError(e));
  }
}

async function start(io: ProxyIo, cfg: ProxyConfig, home: string, p: Parsed): Promise<number> {
  const bind = validateBind(p.bind ?? cfg.credential_proxy_bind, p.bind !== undefined ? '--bind' : 'credential_proxy_bind');
  const port = validatePort(p.port ?? cfg.credential_proxy_port, p.port !== undefined ? '--port' : 'credential_proxy_port');
  const s = readPidFile(home);
  if (s.state === 'running') {
    throw new TkError('proxy', `A credential proxy is already running at http://${s.info.bind}:${s.info.port} (PID ${s.info.pid}).`, {
      hint: 'Use it as is, or stop it first with `tk proxy stop`.',
    });
  }
  const url = `http://${bind.includes(':') ? `[${bind}]` : bind}:${port}`;
  if (p.daemon) {
    const h = await spawnDaemon({ config: cfg, home, bind, port });
    success(io, `Credential proxy started in background at ${url} (PID ${h.pid})`, { bind, daemon: true, log: proxyLogPath(home), pid: h.pid, port, url });
    return 0;
  }
  const d = await startDaemon({ config: cfg, home, bind, port, echo: io.json ? undefined : io.stderr });
  success(io, `Credential proxy listening on ${url} (PID ${process.pid}); Ctrl-C stops it`, { bind, daemon: false, log: proxyLogPath(home), pid: process.pid, port: d.proxy.port, url });
  await d.done;
  return 0;
}

async function stop(io: ProxyIo, home: string): Promise<number> {
  const r = await stopDaemon(home);
  switch (r.result) {
    case 'not-running':
      throw new TkError('proxy', 'The credential proxy is not running (no PID file).', { hint: `Nothing to stop. (PID file: ${pidPath(home)})` });
    case 'invalid':
      success(io, `Removed an unreadable PID file (${JSON.stringify(r.detail)}); no process was signalled`, { pid: null, stale: true, stopped: false });
      return 0;
    case 'stale':
      success(io, `Proxy process ${r.info.pid} was not running (stale PID file removed)`, { pid: r.info.pid, stale: true, stopped: false });
      return 0;
    case 'stopped':
      success(io, `Stopped credential proxy (PID ${r.info.pid})`, { pid: r.info.pid, stale: false, stopped: true });
      return 0;
  }
}

async function status(io: ProxyIo, cfg: ProxyConfig, home: string): Promise<number> {
  const s = readPidFile(home);
  const bind = s.state === 'running' ? s.info.bind : cfg.credential_proxy_bind;
  const port = s.state === 'running' ? s.info.port : cfg.credential_proxy_port;
  const url = `http://${bind.includes(':') ? `[${bind}]` : bind}:${port}`;
  const h = await probeHealth(bind, port);
  const pidFile = s.state === 'absent' ? 'absent' : s.state;
  if (h) {
    const cred = h.credential ? `host credential: ${h.credential}` : 'host credential: not resolved yet';
    success(io, `Credential proxy is running at ${url} (PID ${h.pid}), ${h.vms} VM token(s), upstream ${h.upstream}, ${cred}`, {
      bind, credential: h.credential ?? null, pid: h.pid, pidFile, port, running: true, started: h.started, upstream: h.upstream, url, vms: h.vms,
    });
  } else {
    const note = s.state === 'running' ? ` (PID ${s.info.pid} is alive but does not answer /health)` : s.state === 'stale' ? ' (stale PID file)' : '';
    success(io, `Credential proxy is NOT running at ${url}${note}`, { bind, pid: s.state === 'running' ? s.info.pid : null, pidFile, port, running: false, url });
  }
  return 0;
}
