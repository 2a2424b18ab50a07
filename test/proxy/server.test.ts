import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAUTH_BETA } from '../../src/core/credentials.js';
import { isPrivateAddress } from '../../src/proxy/server.js';
import { HOST_KEY, basic, gate, raw, startFakeApi, startStandIn, startTestProxy, withTimeout, type FakeApi, type TestProxy } from './helpers.js';

let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi();
});
afterAll(async () => {
  await api.close();
});

const msgBody = JSON.stringify({ model: 'claude-test', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

describe('/v1 route: per-VM token and credential injection', () => {
  let p: TestProxy;
  let token: string;
  beforeAll(async () => {
    p = await startTestProxy({ credential_proxy_upstream: api.url });
    token = p.store.issue('tk-repo-feat-a');
  });
  afterAll(async () => {
    await p.close();
  });
  afterEach(() => {
    api.requests.length = 0;
  });

  it('accepts the token as x-api-key, keeps ?beta=true, strips client auth and injects the host key', async () => {
    const r = await raw(p.proxy.port, { method: 'POST', path: '/v1/messages?beta=true', headers: { 'x-api-key': token, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: msgBody });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).content[0].text).toBe('hi from fake');
    const got = api.requests[0]!;
    expect(got.url).toBe('/v1/messages?beta=true');
    expect(got.headers['x-api-key']).toBe(HOST_KEY);
    expect(got.headers['authorization']).toBeUndefined();
    expect(got.headers['anthropic-version']).toBe('2023-06-01');
    expect(got.headers['host']).toBe(`127.0.0.1:${api.port}`);
    expect(JSON.stringify(got.headers)).not.toContain(token);
    expect(got.body).toBe(msgBody);
    expect(p.logs.some((l) => l.includes('vm=tk-repo-feat-a') && l.includes('POST /v1/messages?…') && l.includes('-> 200'))).toBe(true);
  });

  it('accepts the token as Authorization: Bearer and strips a client x-api-key too', async () => {
    const r = await raw(p.proxy.port, { method: 'POST', path: '/v1/messages', headers: { authorization: `Bearer ${token}`, 'x-api-key': 'guest-junk', 'content-type': 'application/json' }, body: msgBody });
    expect(r.status).toBe(200);
    const got = api.requests[0]!;
    expect(got.headers['x-api-key']).toBe(HOST_KEY);
    expect(got.headers['authorization']).toBeUndefined();
  });

  it('injects OAuth host credentials as Bearer plus the oauth beta, merged with client betas', async () => {
    p.setCredential({ kind: 'oauth', source: 'oauth-env', label: 'CLAUDE_CODE_OAUTH_TOKEN env var', value: 'host-oauth-token' });
    try {
      const r = await raw(p.proxy.port, { method: 'POST', path: '/v1/messages?beta=true', headers: { 'x-api-key': token, 'anthropic-beta': 'claude-code-20250219', 'content-type': 'application/json' }, body: msgBody });
      expect(r.status).toBe(200);
      const got = api.requests[0]!;
      expect(got.headers['authorization']).toBe('Bearer host-oauth-token');
      expect(got.headers['x-api-key']).toBeUndefined();
      expect(got.headers['anthropic-beta']).toBe(`claude-code-20250219,${OAUTH_BETA}`);
    } finally {
      p.setCredential({ kind: 'api-key', source: 'api-key-env', label: 'ANTHROPIC_API_KEY env var', value: HOST_KEY });
    }
  });

  it('uses the access token of a credentials file', async () => {
    p.setCredential({ kind: 'oauth-file', source: 'credentials-file', label: 'credentials file', value: JSON.stringify({ claudeAiOauth: { accessToken: 'file-access', refreshToken: 'file-refresh' } }) });
    try {
      const r = await raw(p.proxy.port, { method: 'POST', path: '/v1/messages', headers: { 'x-api-key': token }, body: msgBody });
      expect(r.status).toBe(200);
      expect(api.requests[0]!.headers['authorization']).toBe('Bearer file-access');
      expect(JSON.stringify(api.requests[0]!.headers)).not.toContain('file-refresh');
    } finally {
      p.setCredential({ kind: 'api-key', source: 'api-key-env', label: 'ANTHROPIC_API_KEY env var', value: HOST_KEY });
    }
  });

  it('answers 503 with what to do when the host has no credential', async () => {
    p.setCredential({ kind: 'none', source: 'none', label: 'none' });
    try {
      const r = await raw(p.proxy.port, { method: 'POST', path: '/v1/messages', headers: { 'x-api-key': token }, body: msgBody });
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body).error.message).toMatch(/No credentials available on the host.*ANTHROPIC_API_KEY/);
      expect(api.requests).toHaveLength(0);
    } finally {
      p.setCredential({ kind: 'api-key', source: 'api-key-env', label: 'ANTHROPIC_API_KEY env var', value: HOST_KEY });
    }
  });

  it('rejects a missing or unknown token with 401 and forwards nothing', async () => {
    const none = await raw(p.proxy.port, { method: 'POST', path: '/v1/messages', body: msgBody });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.type).toBe('authentication_error');
    const bad = await raw(p.proxy.port, { method: 'POST', path: '/v1/messages', headers: { 'x-api-key': 'sk-ant-guess', authorization: 'Bearer nope' }, body: msgBody });
    expect(bad.status).toBe(401);
    expect(api.requests).toHaveLength(0);
  });

  it('stops accepting a token as soon as it is revoked (file reloaded by the running proxy)', async () => {
    const t2 = p.store.issue('tk-repo-feat-b');
    expect((await raw(p.proxy.port, { method: 'POST', path: '/v1/messages', headers: { 'x-api-key': t2 }, body: msgBody })).status).toBe(200);
    expect(p.store.revoke('tk-repo-feat-b')).toBe(true);
    expect((await raw(p.proxy.port, { method: 'POST', path: '/v1/messages', headers: { 'x-api-key': t2 }, body: msgBody })).status).toBe(401);
    // the other VM is unaffected
    expect((await raw(p.proxy.port, { method: 'POST', path: '/v1/messages', headers: { 'x-api-key': token }, body: msgBody })).status).toBe(200);
  });

  it('accepts absolute-form /v1 requests addressed to the proxy itself (as sent through HTTP_PROXY)', async () => {
    const r = await raw(p.proxy.port, { method: 'POST', path: `${p.base}/v1/messages?beta=true`, headers: { 'x-api-key': token, 'proxy-authorization': basic(token) }, body: msgBody });
    expect(r.status).toBe(200);
    expect(api.requests[0]!.url).toBe('/v1/messages?beta=true');
    expect(api.requests[0]!.headers['x-api-key']).toBe(HOST_KEY);
    expect(api.requests[0]!.headers['proxy-authorization']).toBeUndefined();
    const noTok = await raw(p.proxy.port, { method: 'POST', path: `${p.base}/v1/messages`, body: msgBody });
    expect(noTok.status).toBe(401);
  });

  it('does not reroute /v1 of another host to the Anthropic upstream (forward proxy rules apply)', async () => {
    const r = await raw(p.proxy.port, { method: 'POST', path: 'http://evil.example/v1/messages', headers: { 'x-api-key': token }, body: msgBody });
    expect(r.status).toBe(407);
    expect(api.requests).toHaveLength(0);
  });

  it('serves /health without secrets and 404s other paths', async () => {
    const h = await raw(p.proxy.port, { path: '/health' });
    expect(h.status).toBe(200);
    const body = JSON.parse(h.body);
    expect(body).toMatchObject({ status: 'ok', proxy: 'tk', vms: 1, credential: 'ANTHROPIC_API_KEY env var' });
    expect(h.body).not.toContain(token);
    expect(h.body).not.toContain(HOST_KEY);
    expect((await raw(p.proxy.port, { method: 'HEAD', path: '/api/hello', headers: { 'x-api-key': token } })).status).toBe(404);
    expect((await raw(p.proxy.port, { path: '/v1/../health', headers: { 'x-api-key': token } })).status).toBe(400);
  });

  it('relays the upstream status and invalidates the cached credential on an upstream 401', async () => {
    const before = p.resolveCount();
    const r = await raw(p.proxy.port, { method: 'POST', path: '/v1/fail', headers: { 'x-api-key': token }, body: '{}' });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body).error.message).toBe('bad key');
    await raw(p.proxy.port, { method: 'POST', path: '/v1/messages', headers: { 'x-api-key': token }, body: msgBody });
    expect(p.resolveCount()).toBe(before + 1);
  });

  it('relays SSE event by event: the first event arrives while the upstream holds the stream open', async () => {
    const g = gate();
    api.hold = g;
    try {
      const first = await withTimeout(new Promise<string>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: p.proxy.port, method: 'POST', path: '/v1/messages?beta=true', headers: { 'x-api-key': token, 'content-type': 'application/json' }, agent: false }, (res) => {
          expect(res.headers['content-type']).toBe('text/event-stream');
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
            if (text.includes('\n\n') && !text.includes('message_stop')) resolve(text);
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'm', max_tokens: 5, stream: true, messages: [] }));
      }), 5000, 'the first SSE event through the proxy while the upstream is still open');
      expect(first).toContain('event: message_start');
      expect(first).not.toContain('content_block_start');
    } finally {
      g.release();
      api.hold = undefined;
    }
  });

  it('a client that goes away mid-stream closes the upstream stream too', async () => {
    const g = gate();
    api.hold = g;
    const before = api.aborted;
    try {
      await withTimeout(new Promise<void>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: p.proxy.port, method: 'POST', path: '/v1/messages', headers: { 'x-api-key': token }, agent: false }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => {});
        req.on('close', () => resolve());
        req.end(JSON.stringify({ model: 'm', stream: true, messages: [] }));
        setTimeout(() => reject(new Error('no first event')), 4000);
      }), 5000, 'the first event');
      const deadline = Date.now() + 3000;
      while (api.aborted === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(api.aborted).toBe(before + 1);
    } finally {
      g.release();
      api.hold = undefined;
    }
  });

  it('streams a large upload to the upstream before the client has finished sending it', async () => {
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    let sendRest!: () => void;
    const rest = new Promise<void>((r) => (sendRest = r));
    async function* body() {
      yield chunk;
      await rest; // the rest is only sent once the upstream has seen the first bytes
      for (let i = 0; i < 79; i++) yield chunk;
    }
    const resP = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: p.proxy.port, method: 'POST', path: '/v1/upload', headers: { 'x-api-key': token, 'content-type': 'application/octet-stream' }, agent: false }, (res) => {
        let t = '';
        res.on('data', (c: Buffer) => (t += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: t }));
      });
      req.on('error', reject);
      Readable.from(body()).pipe(req);
    });
    const firstBytes = await withTimeout(api.uploadStarted, 5000, 'the upstream to receive the first upload bytes');
    expect(firstBytes).toBeGreaterThan(0);
    sendRest();
    const r = await withTimeout(resP, 20000, 'the upload to finish');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).bytes).toBe(80 * chunk.length);
  });
});

describe('upstream failures', () => {
  it('answers 502 with a clear message when the upstream is down; details only in the log', async () => {
    const p = await startTestProxy({ credential_proxy_upstream: 'http://127.0.0.1:9' });
    try {
      const token = p.store.issue('vm-down');
      const r = await raw(p.proxy.port, { method: 'POST', path: '/v1/messages', headers: { 'x-api-key': token }, body: msgBody });
      expect(r.status).toBe(502);
      const msg = JSON.parse(r.body).error.message as string;
      expect(msg).toMatch(/upstream 127\.0\.0\.1:9 could not be reached/);
      expect(msg).not.toMatch(/ECONNREFUSED/);
      expect(p.logs.some((l) => l.includes('vm=vm-down') && /ECONNREFUSED|connect/i.test(l))).toBe(true);
    } finally {
      await p.close();
    }
  });
});

describe('forward proxy and CONNECT', () => {
  let p: TestProxy;
  let token: string;
  let npm: Awaited<ReturnType<typeof startStandIn>>;
  let internal: Awaited<ReturnType<typeof startStandIn>>;
  const fakeDns: Record<string, string> = {};
  beforeAll(async () => {
    npm = await startStandIn('registry');
    internal = await startStandIn('internal');
    fakeDns['registry.stand.test'] = '127.0.0.1';
    fakeDns['pkg.wild.test'] = '127.0.0.1';
    p = await startTestProxy(
      { credential_proxy_upstream: api.url, credential_proxy_allow: [`127.0.0.1:${npm.port}`, `registry.stand.test:${npm.port}`, `*.wild.test:${npm.port}`, 'github.com'] },
      async (h) => {
        const a = fakeDns[h];
        if (!a) throw new Error(`ENOTFOUND ${h}`);
        return [{ address: a, family: 4 }];
      },
    );
    token = p.store.issue('vm-fwd');
  });
  afterAll(async () => {
    await p.close();
    await npm.close();
    await internal.close();
  });

  it('needs Proxy-Authorization: 407 with Proxy-Authenticate without it', async () => {
    const r = await raw(p.proxy.port, { path: `http://127.0.0.1:${npm.port}/lodash` });
    expect(r.status).toBe(407);
    expect(r.headers['proxy-authenticate']).toMatch(/^Basic realm=/);
    const wrong = await raw(p.proxy.port, { path: `http://127.0.0.1:${npm.port}/lodash`, headers: { 'proxy-authorization': basic('not-a-token') } });
    expect(wrong.status).toBe(407);
    expect(npm.seen).toHaveLength(0);
  });

  it('forwards absolute-form http to an explicitly listed host, with Basic or Bearer proxy auth, without leaking the proxy credential', async () => {
    const r = await raw(p.proxy.port, { path: `http://127.0.0.1:${npm.port}/lodash?x=1`, headers: { 'proxy-authorization': basic(token) } });
    expect(r.status).toBe(200);
    expect(r.body).toBe('stand-in registry GET /lodash?x=1');
    expect(npm.seen.at(-1)!.headers['proxy-authorization']).toBeUndefined();
    const r2 = await raw(p.proxy.port, { path: `http://registry.stand.test:${npm.port}/a`, headers: { 'proxy-authorization': `Bearer ${token}` } });
    expect(r2.status).toBe(200);
    expect(npm.seen.at(-1)!.headers['host']).toBe(`registry.stand.test:${npm.port}`);
    expect(p.logs.some((l) => l.includes('vm=vm-fwd') && l.includes(`registry.stand.test:${npm.port}`))).toBe(true);
  });

  it('refuses hosts not on the allowlist with 403 and names them in the log', async () => {
    const r = await raw(p.proxy.port, { path: 'http://evil.example/steal', headers: { 'proxy-authorization': basic(token) } });
    expect(r.status).toBe(403);
    expect(r.body).toContain('evil.example:80');
    expect(p.logs.some((l) => l.includes('evil.example:80') && l.includes('403'))).toBe(true);
  });

  it('refuses unlisted loopback destinations (host services) and private addresses reached through a wildcard', async () => {
    const lo = await raw(p.proxy.port, { path: `http://127.0.0.1:${internal.port}/admin`, headers: { 'proxy-authorization': basic(token) } });
    expect(lo.status).toBe(403);
    const wild = await raw(p.proxy.port, { path: `http://pkg.wild.test:${npm.port}/x`, headers: { 'proxy-authorization': basic(token) } });
    expect(wild.status).toBe(403);
    expect(p.logs.some((l) => l.includes('pkg.wild.test') && l.includes('private/loopback address 127.0.0.1'))).toBe(true);
    expect(internal.seen).toHaveLength(0);
  });

  function connect(target: string, headers: Record<string, string>): Promise<{ status: number; socket: Socket; headers: Record<string, string | string[] | undefined> }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: p.proxy.port, method: 'CONNECT', path: target, headers, agent: false });
      req.on('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, socket, headers: res.headers }));
      req.on('error', reject);
      req.end();
    });
  }

  it('CONNECT: 407 without Proxy-Authorization, tunnel to an allowed host with it, 403 otherwise', async () => {
    const no = await connect(`127.0.0.1:${npm.port}`, {});
    expect(no.status).toBe(407);
    expect(no.headers['proxy-authenticate']).toMatch(/Basic/);
    no.socket.destroy();

    const ok = await connect(`registry.stand.test:${npm.port}`, { 'proxy-authorization': basic(token) });
    expect(ok.status).toBe(200);
    const reply = await new Promise<string>((resolve) => {
      let t = '';
      ok.socket.on('data', (c: Buffer) => {
        t += c.toString();
        if (t.includes('stand-in')) resolve(t);
      });
      ok.socket.write(`GET /tunnelled HTTP/1.1\r\nHost: registry.stand.test\r\nConnection: close\r\n\r\n`);
    });
    expect(reply).toContain('stand-in registry GET /tunnelled');
    ok.socket.destroy();

    const denied = await connect(`127.0.0.1:${internal.port}`, { 'proxy-authorization': basic(token) });
    expect(denied.status).toBe(403);
    denied.socket.destroy();
    const github = await connect('github.com:22', { 'proxy-authorization': basic(token) });
    expect(github.status).toBe(403); // a pattern without a port allows 80 and 443 only
    github.socket.destroy();
  });

  it('never writes tokens or keys to the log', () => {
    const all = p.logs.join('\n');
    expect(all).not.toContain(token);
    expect(all).not.toContain(HOST_KEY);
    expect(all).not.toContain(Buffer.from(`tk:${token}`).toString('base64'));
    expect(all).not.toMatch(/Bearer|Basic [A-Za-z0-9+/=]{8}/);
  });
});

describe('isPrivateAddress', () => {
  it('classifies addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.64.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', 'not-an-ip']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['1.1.1.1', '104.18.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
  });
});
