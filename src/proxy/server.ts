// The credential proxy: node:http in front, undici behind. Streams both ways (no whole-body
// buffering), relays SSE chunk by chunk, injects the host credential on /v1/*, and acts as an
// authenticated, allowlisted forward proxy (absolute-form http and CONNECT) for everything else.
import { createServer, type IncomingMessage, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { connect as netConnect, isIP, BlockList, type Socket } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, type Dispatcher } from 'undici';
import { OAUTH_BETA, upstreamAuth, type HostCredential } from '../core/credentials.js';
import { parseAllowPattern, type AllowPattern, type ProxyConfig } from './config.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface ProxyServerOptions {
  config: ProxyConfig;
  /** token -> VM name (TokenTable). */
  tokens: { vmFor(token: string | undefined): string | undefined; readonly size: number };
  /** The host credential (CredentialCache). */
  credentials: { get(): Promise<HostCredential>; invalidate(): void; peekLabel?(): string | undefined };
  /** One line per event; never called with a secret. */
  log: (line: string) => void;
  /** DNS resolution for forward/CONNECT destinations (injectable for tests). */
  lookup?: (host: string) => Promise<ResolvedAddress[]>;
  /** Upstream HTTP client (default: a keep-alive undici Agent). */
  dispatcher?: Dispatcher;
  version?: string;
  /** Non-secret id of the token store this proxy serves (tokens.storeId). */
  storeId?: string;
}

export interface RunningProxy {
  server: Server;
  host: string;
  port: number;
  close(): Promise<void>;
}

// RFC 9110 §7.6.1 hop-by-hop headers, plus the ones undici refuses or we must never forward.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'host',
]);

function forwardHeaders(src: IncomingHttpHeaders | Record<string, string | string[] | undefined>, drop: readonly string[] = []): Record<string, string | string[]> {
  const extra = new Set(drop);
  const conn = src['connection'];
  for (const name of (Array.isArray(conn) ? conn.join(',') : conn ?? '').split(',')) {
    const n = name.trim().toLowerCase();
    if (n) extra.add(n);
  }
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(src)) {
    const key = k.toLowerCase();
    if (v === undefined || HOP_BY_HOP.has(key) || extra.has(key)) continue;
    out[key] = v;
  }
  return out;
}

const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

/** Loopback, private, link-local, CGNAT, multicast, unspecified… anything not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  const fam = isIP(address);
  if (fam === 4) return PRIVATE.check(address, 'ipv4');
  if (fam === 6) return PRIVATE.check(address, 'ipv6');
  return true;
}

export type Destination =
  | { ok: true; host: string; port: number; address: string; family: number; rule: string }
  | { ok: false; status: 403 | 502; reason: string };

/** Allowlist + address checks for a forward/CONNECT destination. The returned address is what we connect to (no re-resolution: DNS rebinding). */
export async function checkDestination(
  hostIn: string,
  port: number,
  allow: readonly AllowPattern[],
  lookup: (host: string) => Promise<ResolvedAddress[]>,
): Promise<Destination> {
  const host = hostIn.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  let match: AllowPattern | undefined;
  for (const p of allow) {
    const portOk = p.port === '*' || (p.port === undefined ? port === 80 || port === 443 : port === p.port);
    if (!portOk) continue;
    const hostOk = p.wildcard ? host.endsWith(`.${p.host}`) : host === p.host;
    if (hostOk && (!match || (match.wildcard && !p.wildcard))) match = p;
  }
  if (!match) return { ok: false, status: 403, reason: `${host}:${port} is not on the allowlist (credential_proxy_allow)` };
  let addrs: ResolvedAddress[];
  if (isIP(host)) addrs = [{ address: host, family: isIP(host) }];
  else {
    try {
      addrs = await lookup(host);
    } catch (e) {
      return { ok: false, status: 502, reason: `cannot resolve ${host}: ${(e as Error).message}` };
    }
    if (addrs.length === 0) return { ok: false, status: 502, reason: `cannot resolve ${host}: no address` };
  }
  const priv = addrs.find((a) => isPrivateAddress(a.address));
  if (priv && match.wildcard) {
    return { ok: false, status: 403, reason: `${host}:${port} resolves to the private/loopback address ${priv.address}; only destinations listed explicitly (not by a wildcard) may be private` };
  }
  const first = addrs[0]!;
  return { ok: true, host, port, address: first.address, family: first.family, rule: match.source };
}

function tokenFromProxyAuth(value: string | undefined): string[] {
  if (!value) return [];
  const m = /^(\w+)\s+(.+)$/.exec(value.trim());
  if (!m) return [];
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'bearer') return [m[2]!.trim()];
  if (scheme === 'basic') {
    const decoded = Buffer.from(m[2]!.trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return [decoded];
    const user = decoded.slice(0, i);
    const pass = decoded.slice(i + 1);
    return pass ? [pass] : [user];
  }
  return [];
}

function bearer(value: string | undefined): string | undefined {
  const m = value ? /^Bearer\s+(.+)$/i.exec(value.trim()) : null;
  return m ? m[1]!.trim() : undefined;
}

const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function apiError(res: ServerResponse, status: number, type: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ type: 'error', error: { type, message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function textError(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${message}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

const PROXY_AUTH_CHALLENGE = 'Basic realm="tk credential proxy"';

function requestHasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return Number(len) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** Strip the query string: query strings may carry signed URLs or tokens. */
const logPath = (p: string): string => {
  const q = p.indexOf('?');
  return q < 0 ? p : `${p.slice(0, q)}?…`;
};

export function startProxyServer(opts: ProxyServerOptions, listen: { host: string; port: number }): Promise<RunningProxy> {
  const { config, tokens, credentials, log } = opts;
  const allow = config.credential_proxy_allow.map(parseAllowPattern);
  const lookup = opts.lookup ?? (async (h: string) => dnsLookup(h, { all: true, verbatim: true }));
  const ownsDispatcher = !opts.dispatcher;
  const dispatcher: Dispatcher = opts.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, headersTimeout: 600_000, bodyTimeout: 600_000, connect: { timeout: 10_000 } });
  const upstream = new URL(config.credential_proxy_upstream);
  const upstreamPrefix = upstream.pathname.replace(/\/+$/, '');
  const startedAt = new Date().toISOString();
  let boundPort = listen.port;

  const isSelf = (u: URL): boolean => {
    const h = u.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    return port === boundPort && (h === listen.host || (h === 'localhost' && listen.host.startsWith('127.')));
  };

  async function relay(req: IncomingMessage, res: ServerResponse, target: { origin: string; path: string; headers: Record<string, string | string[]> }, onStatus?: (status: number) => void): Promise<number> {
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    const up = await dispatcher.request({
      origin: target.origin,
      path: target.path,
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: target.headers,
      body: requestHasBody(req) ? req : null,
      signal: ac.signal,
      highWaterMark: 256 * 1024,
    });
    onStatus?.(up.statusCode);
    res.writeHead(up.statusCode, forwardHeaders(up.headers));
    res.flushHeaders();
    try {
      await pipeline(up.body, res);
    } catch (e) {
      if (!ac.signal.aborted) log(`upstream stream from ${target.origin} broke: ${(e as Error).message}`);
      res.destroy();
    }
    return up.statusCode;
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, pathAndQuery: string, absolute = false): Promise<void> {
    const t0 = performance.now();
    const candidates = [
      single(req.headers['x-api-key']),
      bearer(single(req.headers['authorization'])),
      ...tokenFromProxyAuth(single(req.headers['proxy-authorization'])),
    ];
    let vm: string | undefined;
    for (const c of candidates) {
      vm = tokens.vmFor(c);
      if (vm) break;
    }
    if (!vm) {
      log(`vm=? ${req.method} ${logPath(pathAndQuery)} -> 401 (missing or unknown per-VM token) from ${req.socket.remoteAddress}`);
      req.resume();
      apiError(res, 401, 'authentication_error', 'tk credential proxy: missing or invalid per-VM token. Send the token tk gave this VM (ANTHROPIC_AUTH_TOKEN / ANTHROPIC_API_KEY from ~/.profile); re-provision the VM if it was revoked.');
      return;
    }
    const pathOnly = pathAndQuery.split('?')[0]!;
    let decoded = pathOnly;
    try {
      decoded = decodeURIComponent(pathOnly);
    } catch {
      /* keep raw */
    }
    if (decoded.split('/').some((s) => s === '..' || s === '.')) {
      req.resume();
      apiError(res, 400, 'invalid_request_error', 'tk credential proxy: dot segments are not allowed in the path.');
      log(`vm=${vm} ${req.method} ${logPath(pathAndQuery)} -> 400 (dot segment)`);
      return;
    }
    const cred = await credentials.get();
    const auth = upstreamAuth(cred);
    if (!auth.ok) {
      req.resume();
      log(`vm=${vm} ${req.method} ${logPath(pathAndQuery)} -> 503 (host credential: ${auth.label})`);
      apiError(res, 503, 'authentication_error', `tk credential proxy: ${auth.message}`);
      return;
    }
    const headers = forwardHeaders(req.headers, ['x-api-key', 'authorization']);
    headers[auth.header] = auth.value;
    if (auth.oauth) {
      const beta = single(headers['anthropic-beta']) ?? '';
      const list = beta.split(',').map((s) => s.trim()).filter(Boolean);
      if (!list.includes(OAUTH_BETA)) headers['anthropic-beta'] = [...list, OAUTH_BETA].join(',');
    }
    let status = 0;
    try {
      status = await relay(req, res, { origin: upstream.origin, path: upstreamPrefix + pathAndQuery, headers }, (s) => {
        if (s === 401) credentials.invalidate();
      });
    } catch (e) {
      if (res.destroyed && !res.headersSent) {
        log(`vm=${vm} ${req.method} ${logPath(pathAndQuery)} -> client closed the connection before the upstream answered`);
        return;
      }
      status = 502;
      log(`vm=${vm} ${req.method} ${logPath(pathAndQuery)} upstream ${upstream.origin} failed: ${(e as Error).message}`);
      apiError(res, 502, 'api_error', `tk credential proxy: the upstream ${upstream.host} could not be reached; details are in the host's proxy log.`);
    }
    log(`vm=${vm} ${req.method} ${logPath(pathAndQuery)} -> ${status} ${(performance.now() - t0).toFixed(1)}ms (credential: ${auth.label}${absolute ? '; absolute-form via HTTP_PROXY' : ''})`);
  }

  function proxyVm(req: IncomingMessage): string | undefined {
    for (const t of tokenFromProxyAuth(single(req.headers['proxy-authorization']))) {
      const vm = tokens.vmFor(t);
      if (vm) return vm;
    }
    return undefined;
  }

  async function handleForward(req: IncomingMessage, res: ServerResponse, u: URL): Promise<void> {
    const t0 = performance.now();
    const vm = proxyVm(req);
    const where = `${u.protocol}//${u.host}${logPath(u.pathname + u.search)}`;
    if (!vm) {
      req.resume();
      log(`vm=? ${req.method} ${where} -> 407 (no valid Proxy-Authorization) from ${req.socket.remoteAddress}`);
      textError(res, 407, 'tk credential proxy: proxy authentication required (use the HTTP_PROXY URL tk put in ~/.profile).', { 'proxy-authenticate': PROXY_AUTH_CHALLENGE });
      return;
    }
    if (u.protocol !== 'http:') {
      req.resume();
      textError(res, 400, `tk credential proxy: only http:// URLs are forwarded in absolute form; use CONNECT for ${u.protocol}`);
      return;
    }
    const port = Number(u.port || 80);
    const dest = await checkDestination(u.hostname, port, allow, lookup);
    if (!dest.ok) {
      req.resume();
      log(`vm=${vm} ${req.method} ${where} -> ${dest.status} (${dest.reason})`);
      textError(res, dest.status, `tk credential proxy: ${dest.status === 403 ? 'destination not allowed' : 'bad gateway'}: ${u.hostname}:${port}${dest.status === 403 ? ' (add it to credential_proxy_allow on the host)' : ''}`);
      return;
    }
    const headers = forwardHeaders(req.headers);
    headers['host'] = u.host;
    const ipHost = dest.family === 6 ? `[${dest.address}]` : dest.address;
    let status = 0;
    try {
      status = await relay(req, res, { origin: `http://${ipHost}:${port}`, path: u.pathname + u.search, headers });
    } catch (e) {
      status = 502;
      log(`vm=${vm} ${req.method} ${where} failed: ${(e as Error).message}`);
      textError(res, 502, `tk credential proxy: bad gateway: ${u.hostname}:${port} could not be reached (details in the host's proxy log)`);
    }
    log(`vm=${vm} ${req.method} ${where} -> ${status} ${(performance.now() - t0).toFixed(1)}ms (allow: ${dest.rule})`);
  }

  function handleHealth(res: ServerResponse): void {
    const body = JSON.stringify({
      bind: listen.host,
      // label of the cached host credential source (never the secret); null until first use
      credential: credentials.peekLabel?.() ?? null,
      pid: process.pid,
      port: boundPort,
      proxy: 'tk',
      started: startedAt,
      status: 'ok',
      store: opts.storeId ?? null,
      upstream: upstream.origin,
      version: opts.version ?? null,
      vms: tokens.size,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const raw = req.url ?? '/';
    const fail = (e: unknown): void => {
      log(`internal error on ${req.method} ${logPath(raw)}: ${(e as Error).message}`);
      textError(res, 500, 'tk credential proxy: internal error (see the host proxy log)');
    };
    if (raw.startsWith('/')) {
      if (raw === '/health' && (req.method === 'GET' || req.method === 'HEAD')) return handleHealth(res);
      if (raw.startsWith('/v1/')) {
        handleApi(req, res, raw).catch(fail);
        return;
      }
      req.resume();
      apiError(res, 404, 'not_found_error', 'tk credential proxy: only /v1/* is forwarded (and /health).');
      return;
    }
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      req.resume();
      textError(res, 400, 'tk credential proxy: malformed request target');
      return;
    }
    if (isSelf(u)) {
      if (u.pathname === '/health') return handleHealth(res);
      if (u.pathname.startsWith('/v1/')) {
        handleApi(req, res, u.pathname + u.search, true).catch(fail);
        return;
      }
      req.resume();
      apiError(res, 404, 'not_found_error', 'tk credential proxy: only /v1/* is forwarded (and /health).');
      return;
    }
    handleForward(req, res, u).catch(fail);
  };

  const tunnels = new Set<Duplex>();
  const onConnect = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const t0 = performance.now();
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    const target = req.url ?? '';
    const reply = (status: string, extra = ''): void => {
      socket.end(`HTTP/1.1 ${status}\r\n${extra}Content-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    socket.on('error', () => {});
    const vm = proxyVm(req);
    if (!vm) {
      log(`vm=? CONNECT ${target} -> 407 (no valid Proxy-Authorization) from ${req.socket.remoteAddress}`);
      reply('407 Proxy Authentication Required', `Proxy-Authenticate: ${PROXY_AUTH_CHALLENGE}\r\n`);
      return;
    }
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(target);
    if (!m) {
      reply('400 Bad Request');
      return;
    }
    const host = m[1]!;
    const port = Number(m[2]);
    void (async () => {
      const dest = await checkDestination(host, port, allow, lookup);
      if (!dest.ok) {
        log(`vm=${vm} CONNECT ${target} -> ${dest.status} (${dest.reason})`);
        reply(dest.status === 403 ? '403 Forbidden' : '502 Bad Gateway');
        return;
      }
      const up: Socket = netConnect({ host: dest.address, port, family: dest.family });
      let established = false;
      up.setNoDelay(true);
      up.once('connect', () => {
        established = true;
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) up.write(head);
        socket.pipe(up);
        up.pipe(socket);
        log(`vm=${vm} CONNECT ${target} -> 200 ${(performance.now() - t0).toFixed(1)}ms (allow: ${dest.rule})`);
      });
      up.on('error', (e) => {
        if (!established) {
          log(`vm=${vm} CONNECT ${target} -> 502 (${e.message})`);
          reply('502 Bad Gateway');
        } else {
          socket.destroy();
        }
      });
      socket.on('close', () => up.destroy());
      up.on('close', () => {
        if (established) socket.destroy();
      });
    })().catch((e: unknown) => {
      log(`CONNECT ${target} internal error: ${(e as Error).message}`);
      socket.destroy();
    });
  };

  const server = createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 65_000, noDelay: true }, onRequest);
  server.on('connect', onConnect);
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });

  return new Promise((resolve, reject) => {
    const onErr = (e: Error): void => reject(e);
    server.once('error', onErr);
    server.listen({ host: listen.host, port: listen.port, exclusive: true }, () => {
      server.off('error', onErr);
      server.on('error', (e) => log(`server error: ${e.message}`));
      const addr = server.address();
      boundPort = typeof addr === 'object' && addr ? addr.port : listen.port;
      resolve({
        server,
        host: listen.host,
        port: boundPort,
        close: async () => {
          await new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
            for (const t of tunnels) t.destroy();
          });
          if (ownsDispatcher) await dispatcher.close();
        },
      });
    });
  });
}
