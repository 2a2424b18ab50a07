// Loopback-only test fixtures: a fake Anthropic Messages API (JSON and SSE, records what it got),
// stand-ins for allowlisted hosts, and an in-process proxy on a temp TK_HOME.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { CredentialCache, type HostCredential } from '../../src/core/credentials.js';
import { resolveProxyConfig, type ProxyConfig } from '../../src/proxy/config.js';
import { startProxyServer, type ResolvedAddress, type RunningProxy } from '../../src/proxy/server.js';
import { TokenStore, TokenTable, tokensPath } from '../../src/proxy/tokens.js';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  bytes: number;
}

export interface FakeApi {
  url: string;
  port: number;
  requests: Recorded[];
  /** When set, a streaming response sends message_start then waits for this before the rest. */
  hold: { promise: Promise<void>; release: () => void } | undefined;
  /** Streaming responses whose client connection closed before the end. */
  aborted: number;
  /** Resolves when the upload endpoint got its first bytes. */
  uploadStarted: Promise<number>;
  close(): Promise<void>;
}

export function gate(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}

export const sse = (type: string, data: unknown): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...(data as object) })}\n\n`;

export function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

export async function startFakeApi(): Promise<FakeApi> {
  let uploadStarted!: (n: number) => void;
  const api: FakeApi = {
    url: '',
    port: 0,
    requests: [],
    hold: undefined,
    aborted: 0,
    uploadStarted: new Promise<number>((r) => (uploadStarted = r)),
    close: async () => {},
  };
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/v1/upload')) {
      let bytes = 0;
      req.on('data', (c: Buffer) => {
        if (bytes === 0) uploadStarted(c.length);
        bytes += c.length;
      });
      req.on('end', () => {
        api.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '', bytes });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ bytes }));
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      api.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, bytes: Buffer.byteLength(body) });
      if (req.url === '/v1/fail') {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'bad key' } }));
        return;
      }
      let parsed: { model?: string; stream?: boolean } = {};
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        /* not JSON */
      }
      const model = parsed.model ?? 'claude-test';
      if (!parsed.stream) {
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_fake' });
        res.end(JSON.stringify({
          id: 'msg_fake_01', type: 'message', role: 'assistant', model, content: [{ type: 'text', text: 'hi from fake' }],
          stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 10, output_tokens: 5 },
        }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      res.on('close', () => {
        if (!res.writableFinished) api.aborted++;
      });
      res.write(sse('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 } } }));
      const hold = api.hold;
      if (hold) await hold.promise;
      res.write(sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
      for (const t of ['hi ', 'from ', 'fake']) res.write(sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: t } }));
      res.write(sse('content_block_stop', { index: 0 }));
      res.write(sse('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } }));
      res.write(sse('message_stop', {}));
      res.end();
    });
  });
  const port = await listen(server);
  api.port = port;
  api.url = `http://127.0.0.1:${port}`;
  api.close = () => new Promise((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  return api;
}

/** A stand-in for an allowlisted host (e.g. registry.npmjs.org): answers with its own name. */
export async function startStandIn(name: string): Promise<{ port: number; seen: { url: string; headers: IncomingHttpHeaders }[]; close(): Promise<void> }> {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`stand-in ${name} ${req.method} ${req.url}`);
  });
  const port = await listen(server);
  return { port, seen, close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}

export interface TestProxy {
  proxy: RunningProxy;
  home: string;
  store: TokenStore;
  logs: string[];
  setCredential(c: HostCredential): void;
  resolveCount(): number;
  base: string;
  close(): Promise<void>;
}

export const HOST_KEY = 'sk-ant-host-SECRET-key-0123456789';

export async function startTestProxy(overrides: Partial<ProxyConfig> = {}, lookup?: (host: string) => Promise<ResolvedAddress[]>): Promise<TestProxy> {
  const home = mkdtempSync(join(tmpdir(), 'tk-proxy-test-'));
  const config = resolveProxyConfig({ credential_proxy_bind: '127.0.0.1', credential_proxy_port: 1, ...overrides });
  const logs: string[] = [];
  let cred: HostCredential = { kind: 'api-key', source: 'api-key-env', label: 'ANTHROPIC_API_KEY env var', value: HOST_KEY };
  let count = 0;
  const cache = new CredentialCache(async () => {
    count++;
    return cred;
  }, config.credential_proxy_ttl_secs * 1000);
  const store = new TokenStore(home);
  const proxy = await startProxyServer(
    { config, tokens: new TokenTable(tokensPath(home)), credentials: cache, log: (l) => logs.push(l), ...(lookup ? { lookup } : {}) },
    { host: '127.0.0.1', port: 0 },
  );
  return {
    proxy, home, store, logs,
    setCredential: (c) => {
      cred = c;
      cache.invalidate();
    },
    resolveCount: () => count,
    base: `http://127.0.0.1:${proxy.port}`,
    close: async () => {
      await proxy.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Plain node:http request; `path` may be absolute-form (sent through the proxy as HTTP_PROXY would). */
export function raw(port: number, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const basic = (token: string): string => `Basic ${Buffer.from(`tk:${token}`).toString('base64')}`;

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e as Error); });
  });
}
