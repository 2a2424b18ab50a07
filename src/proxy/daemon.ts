// The long-running proxy process: binds, then (only then) writes the PID file, serves until
// SIGTERM/SIGINT, removes its own PID file. Used in the foreground by `tk proxy start` and by the
// standalone entry src/proxy/main.ts (dist/proxy/tk-proxy.js) that `-d` and ensureRunning spawn.
import { createWriteStream, mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { CredentialCache, resolveHostCredential } from '../core/credentials.js';
import { TkError } from '../core/errors.js';
import { hostCredentialSources } from '../adapters/credential-sources.js';
import { validateBind, validatePort, type ProxyConfig } from './config.js';
import { readPidFile, removeOwnPidFile, removePidFile, writeOwnPidFile, type PidInfo } from './pidfile.js';
import { startProxyServer, type RunningProxy } from './server.js';
import { TokenTable, proxyDir, storeId, tokensPath } from './tokens.js';

export function proxyLogPath(home: string): string {
  return join(proxyDir(home), 'proxy.log');
}

export interface DaemonOptions {
  config: ProxyConfig;
  home: string;
  /** Overrides of credential_proxy_bind / _port (CLI flags); validated like the config. */
  bind?: string | undefined;
  port?: number | undefined;
  /** Also echo log lines here (foreground). */
  echo?: NodeJS.WritableStream | undefined;
  env?: NodeJS.ProcessEnv;
  version?: string;
}

export interface DaemonHandle {
  proxy: RunningProxy;
  pid: PidInfo;
  /** Resolves when the proxy stopped (signal or stop()). */
  done: Promise<void>;
  stop(): Promise<void>;
}

function openLog(home: string, echo?: NodeJS.WritableStream): { log: (line: string) => void; stream: WriteStream } {
  mkdirSync(proxyDir(home), { recursive: true, mode: 0o700 });
  const file = proxyLogPath(home);
  try {
    // keep one previous log; start a fresh one when it grew past 10 MB
    if (statSync(file).size > 10 * 1024 * 1024) renameSync(file, `${file}.1`);
  } catch {
    /* no log yet */
  }
  const stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  stream.on('error', () => {});
  const log = (line: string): void => {
    const l = `${new Date().toISOString()} ${line}\n`;
    stream.write(l);
    echo?.write(l);
  };
  return { log, stream };
}

/** Bind and serve. Throws TkError('proxy') with what to do when another proxy runs or the address is taken. */
export async function startDaemon(opts: DaemonOptions): Promise<DaemonHandle> {
  const bind = validateBind(opts.bind ?? opts.config.credential_proxy_bind, opts.bind ? '--bind' : 'credential_proxy_bind');
  const port = validatePort(opts.port ?? opts.config.credential_proxy_port, opts.port ? '--port' : 'credential_proxy_port');
  const home = opts.home;

  const existing = readPidFile(home);
  if (existing.state === 'running') {
    throw new TkError('proxy', `A credential proxy is already running at http://${existing.info.bind}:${existing.info.port} (PID ${existing.info.pid}).`, {
      hint: 'Use it as is, or stop it first with `tk proxy stop`.',
    });
  }

  const { log, stream } = openLog(home, opts.echo);
  const env = opts.env ?? process.env;
  const sources = hostCredentialSources({ env, log });
  const cache = new CredentialCache(
    () => resolveHostCredential(sources, { credentialCommand: opts.config.credential_command, apiKeyCommand: opts.config.api_key_command }),
    opts.config.credential_proxy_ttl_secs * 1000,
  );
  const tokens = new TokenTable(tokensPath(home), log);

  let proxy: RunningProxy;
  try {
    proxy = await startProxyServer({ config: opts.config, tokens, credentials: cache, log, storeId: storeId(home), ...(opts.version ? { version: opts.version } : {}) }, { host: bind, port });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    stream.end();
    const what = err.code === 'EADDRINUSE' ? 'the address is already in use' : err.code === 'EADDRNOTAVAIL' ? 'no local interface has that address' : err.message;
    throw new TkError('proxy', `Cannot bind the credential proxy to ${bind}:${port}: ${what}.`, {
      hint: err.code === 'EADDRNOTAVAIL'
        ? 'On macOS 192.168.64.1 exists only while a Tart VM runs (vmnet); start a VM first, or set credential_proxy_bind.'
        : 'Pick another port with --port / credential_proxy_port, or stop what listens there.',
      cause: e,
    });
  }

  if (existing.state === 'stale' || existing.state === 'invalid') removePidFile(home);
  let pid: PidInfo;
  try {
    pid = writeOwnPidFile(home, bind, proxy.port);
  } catch (e) {
    await proxy.close();
    stream.end();
    const now = readPidFile(home);
    const at = now.state === 'running' ? ` at http://${now.info.bind}:${now.info.port} (PID ${now.info.pid})` : '';
    throw new TkError('proxy', `Another credential proxy started at the same time${at}.`, { hint: 'Use it, or stop it with `tk proxy stop`.', cause: e });
  }
  log(`Credential proxy listening on http://${bind}:${proxy.port} (PID ${process.pid}); upstream ${new URL(opts.config.credential_proxy_upstream).origin}`);

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      removeOwnPidFile(home);
      await proxy.close();
      log('Credential proxy stopped');
      await new Promise<void>((r) => stream.end(r));
      resolveDone();
    })();
    return stopping;
  };
  const onSignal = (): void => {
    void stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { proxy, pid, done, stop };
}
