import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TkError } from '../../src/core/errors.js';
import { proxyCommand } from '../../src/proxy/cli.js';
import { resolveProxyConfig } from '../../src/proxy/config.js';
import { createProxyControl } from '../../src/proxy/control.js';
import { proxyLogPath, startDaemon } from '../../src/proxy/daemon.js';
import { stopDaemon } from '../../src/proxy/lifecycle.js';
import { pidPath, processStart, readPidFile } from '../../src/proxy/pidfile.js';
import { buildProxyEntry, freePort } from './build-entry.js';
import { HOST_KEY, raw, startFakeApi, type FakeApi } from './helpers.js';

let entry: string;
let api: FakeApi;
const homes: string[] = [];
const newHome = (): string => {
  const h = mkdtempSync(join(tmpdir(), 'tk-proxy-life-'));
  homes.push(h);
  return h;
};

beforeAll(async () => {
  entry = await buildProxyEntry();
  process.env['TK_PROXY_ENTRY'] = entry;
  api = await startFakeApi();
}, 60_000);
afterAll(async () => {
  for (const h of homes) {
    await stopDaemon(h).catch(() => undefined);
    rmSync(h, { recursive: true, force: true });
  }
  await api.close();
  rmSync(dirname(entry), { recursive: true, force: true });
});

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { io: { stdout, stderr }, out: () => out, err: () => err };
}

describe('daemon and PID file', () => {
  it('writes the PID file only after binding; a second start fails clearly and leaves the first untouched', async () => {
    const home = newHome();
    const port = await freePort();
    const config = resolveProxyConfig({ credential_proxy_bind: '127.0.0.1', credential_proxy_port: port, credential_proxy_upstream: api.url });
    const d = await startDaemon({ config, home });
    try {
      const before = readFileSync(pidPath(home), 'utf8');
      expect(JSON.parse(before)).toMatchObject({ pid: process.pid, bind: '127.0.0.1', port });
      await expect(startDaemon({ config, home })).rejects.toThrow(/already running at http:\/\/127\.0\.0\.1:\d+ \(PID \d+\)/);
      expect(readFileSync(pidPath(home), 'utf8')).toBe(before);
      expect((await raw(port, { path: '/health' })).status).toBe(200);
    } finally {
      await d.stop();
    }
    expect(existsSync(pidPath(home))).toBe(false);
  });

  it('a failed bind writes no PID file and says what to do', async () => {
    const home = newHome();
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    try {
      const config = resolveProxyConfig({ credential_proxy_bind: '127.0.0.1', credential_proxy_port: port });
      const e = await startDaemon({ config, home }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TkError);
      expect((e as TkError).message).toMatch(/Cannot bind the credential proxy to 127\.0\.0\.1:\d+: the address is already in use/);
      expect((e as TkError).hint).toMatch(/--port/);
      expect(existsSync(pidPath(home))).toBe(false);
    } finally {
      busy.close();
    }
  });

  it('an address this host does not have (vmnet down) gets a specific hint', async () => {
    const home = newHome();
    const config = resolveProxyConfig({ credential_proxy_bind: '192.0.2.1', credential_proxy_port: await freePort() });
    const e = (await startDaemon({ config, home }).catch((x: unknown) => x)) as TkError;
    expect(e.message).toMatch(/Cannot bind the credential proxy to 192\.0\.2\.1:\d+: no local interface has that address/);
    expect(e.hint).toMatch(/192\.168\.64\.1 exists only while a Tart VM runs/);
    expect(existsSync(pidPath(home))).toBe(false);
  });

  it('a stale PID file naming a live, unrelated process never makes stop kill it', async () => {
    const home = newHome();
    const victim = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 50));
      mkdirSync(join(home, 'proxy'), { recursive: true });
      writeFileSync(pidPath(home), JSON.stringify({ pid: victim.pid, start: 'not-its-start-time', bind: '127.0.0.1', port: 1, started: '' }));
      expect(readPidFile(home).state).toBe('stale');
      const c = capture();
      expect(await proxyCommand(['stop'], { ...c.io, json: false }, resolveProxyConfig()  , { home })).toBe(0);
      expect(c.out()).toMatch(/was not running \(stale PID file removed\)/);
      expect(processStart(victim.pid!)).toBeDefined();
      expect(victim.exitCode).toBeNull();
      expect(existsSync(pidPath(home))).toBe(false);
      // An unreadable PID file is removed, nothing is signalled.
      writeFileSync(pidPath(home), 'garbage');
      const c2 = capture();
      expect(await proxyCommand(['stop', '--json'], { ...c2.io, json: false }, resolveProxyConfig(), { home })).toBe(0);
      expect(JSON.parse(c2.out())).toMatchObject({ success: true, data: { stopped: false, stale: true } });
      // No PID file at all: a clear error, exit 1.
      const c3 = capture();
      expect(await proxyCommand(['stop'], { ...c3.io, json: false }, resolveProxyConfig(), { home })).toBe(1);
      expect(c3.err()).toMatch(/not running \(no PID file\)/);
    } finally {
      victim.kill();
    }
  });

  it('refuses wildcard and non-IP bind addresses from the CLI and from config', async () => {
    const home = newHome();
    const c = capture();
    expect(await proxyCommand(['start', '--bind', '0.0.0.0'], { ...c.io, json: false }, resolveProxyConfig(), { home })).toBe(1);
    expect(c.err()).toMatch(/Refusing to bind the credential proxy to 0\.0\.0\.0 \(--bind\)/);
    const c2 = capture();
    expect(await proxyCommand(['start', '--json'], { ...c2.io, json: false }, { ...resolveProxyConfig(), credential_proxy_bind: '::' }, { home })).toBe(1);
    expect(JSON.parse(c2.out())).toMatchObject({ success: false });
    expect(JSON.parse(c2.out()).error).toMatch(/Refusing to bind/);
    const c3 = capture();
    expect(await proxyCommand(['start', '--port', 'abc'], { ...c3.io, json: false }, resolveProxyConfig(), { home })).toBe(2);
    expect(existsSync(pidPath(home))).toBe(false);
  });
});

describe('tk proxy start -d | status | stop (detached daemon)', () => {
  it('starts in the background, reports status as JSON, refuses a second start, stops', async () => {
    const home = newHome();
    const port = await freePort();
    const config = resolveProxyConfig({ credential_proxy_bind: '127.0.0.1', credential_proxy_port: port, credential_proxy_upstream: api.url });
    const c = capture();
    expect(await proxyCommand(['start', '-d'], { ...c.io, json: false }, config, { home })).toBe(0);
    expect(c.out()).toMatch(new RegExp(`started in background at http://127\\.0\\.0\\.1:${port} \\(PID \\d+\\)`));
    const pid = readPidFile(home);
    expect(pid.state).toBe('running');

    const s = capture();
    expect(await proxyCommand(['status'], { ...s.io, json: true }, config, { home })).toBe(0);
    const st = JSON.parse(s.out());
    expect(Object.keys(st)).toEqual(['data', 'message', 'success']);
    expect(st.data).toMatchObject({ running: true, port, bind: '127.0.0.1', pidFile: 'running' });

    const again = capture();
    expect(await proxyCommand(['start', '-d'], { ...again.io, json: false }, config, { home })).toBe(1);
    expect(again.err()).toMatch(/already running at http:\/\/127\.0\.0\.1:\d+ \(PID \d+\)/);
    expect(readPidFile(home)).toEqual(pid);

    const stop = capture();
    expect(await proxyCommand(['stop'], { ...stop.io, json: false }, config, { home })).toBe(0);
    expect(stop.out()).toMatch(/Stopped credential proxy \(PID \d+\)/);
    expect(existsSync(pidPath(home))).toBe(false);
    const s2 = capture();
    await proxyCommand(['status', '--json'], { ...s2.io, json: false }, config, { home });
    expect(JSON.parse(s2.out()).data).toMatchObject({ running: false });
  }, 20_000);
});

describe('CredentialProxyControl', () => {
  it('proxy mode: starts the daemon on demand, gives the VM only its token, the host key reaches the upstream, revoke kills the token', async () => {
    const home = newHome();
    const port = await freePort();
    const config = resolveProxyConfig({ credential_proxy_bind: '127.0.0.1', credential_proxy_port: port, credential_proxy_upstream: api.url });
    const control = createProxyControl(config, { home }, { env: { ...process.env, ANTHROPIC_API_KEY: HOST_KEY, CLAUDE_CODE_OAUTH_TOKEN: '' } });
    const g = await control.guestCredentials('tk-repo-main');
    expect(g.files).toEqual([]);
    expect(JSON.stringify(g)).not.toContain(HOST_KEY);
    expect(g.env['ANTHROPIC_BASE_URL']).toBe(`http://127.0.0.1:${port}`);
    const token = g.env['ANTHROPIC_AUTH_TOKEN']!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // no secret in the daemon's argv (visible in ps)
    const daemon = readPidFile(home);
    expect(daemon.state).toBe('running');
    if (daemon.state === 'running' && process.platform === 'linux') {
      const argv = readFileSync(`/proc/${daemon.info.pid}/cmdline`, 'utf8');
      expect(argv).toContain('--port');
      expect(argv).not.toContain(HOST_KEY);
      expect(argv).not.toContain(token);
    }
    expect(g.env['HTTPS_PROXY']).toBe(`http://tk:${token}@127.0.0.1:${port}`);
    // the same VM keeps its token; another VM gets another one; the daemon is reused
    expect((await control.guestCredentials('tk-repo-main')).env['ANTHROPIC_AUTH_TOKEN']).toBe(token);
    const other = (await control.guestCredentials('tk-repo-other')).env['ANTHROPIC_AUTH_TOKEN'];
    expect(other).not.toBe(token);

    api.requests.length = 0;
    const r = await raw(port, { method: 'POST', path: '/v1/messages?beta=true', headers: { authorization: `Bearer ${token}` }, body: '{"model":"m","messages":[]}' });
    expect(r.status).toBe(200);
    expect(api.requests[0]!.headers['x-api-key']).toBe(HOST_KEY);

    await control.revoke('tk-repo-main');
    expect((await raw(port, { method: 'POST', path: '/v1/messages', headers: { authorization: `Bearer ${token}` }, body: '{}' })).status).toBe(401);

    const log = readFileSync(proxyLogPath(home), 'utf8');
    expect(log).toMatch(/vm=tk-repo-main POST \/v1\/messages\?… -> 200/);
    expect(log).not.toContain(HOST_KEY);
    expect(log).not.toContain(token);
    expect(log).not.toContain(other!);
    // the host key is in no file tk wrote
    for (const f of ['tokens.json', 'proxy.pid', 'proxy.log']) expect(readFileSync(join(home, 'proxy', f), 'utf8')).not.toContain(HOST_KEY);
    expect((await stopDaemon(home)).result).toBe('stopped');
  }, 20_000);

  it('two VMs provisioned at the same time share one daemon started on demand', async () => {
    const home = newHome();
    const port = await freePort();
    const config = resolveProxyConfig({ credential_proxy_bind: '127.0.0.1', credential_proxy_port: port, credential_proxy_upstream: api.url });
    const [a, b, c] = await Promise.all(['vm-1', 'vm-2', 'vm-3'].map((vm) => createProxyControl(config, { home }).guestCredentials(vm)));
    const tokens = new Set([a, b, c].map((g) => g!.env['ANTHROPIC_AUTH_TOKEN']));
    expect(tokens.size).toBe(3);
    const s = readPidFile(home);
    expect(s.state).toBe('running');
    const h = JSON.parse((await raw(port, { path: '/health' })).body);
    expect(s.state === 'running' && s.info.pid).toBe(h.pid);
    expect(h.vms).toBe(3);
    expect((await stopDaemon(home)).result).toBe('stopped');
  }, 20_000);

  it('refuses a running proxy of another tk home or with another upstream (its tokens/upstream would be wrong)', async () => {
    const homeA = newHome();
    const homeB = newHome();
    const port = await freePort();
    const config = resolveProxyConfig({ credential_proxy_bind: '127.0.0.1', credential_proxy_port: port, credential_proxy_upstream: api.url });
    await createProxyControl(config, { home: homeA }).guestCredentials('vm-a');
    await expect(createProxyControl(config, { home: homeB }).guestCredentials('vm-b')).rejects.toThrow(/belongs to another tk home/);
    await expect(createProxyControl({ ...config, credential_proxy_upstream: 'http://127.0.0.1:9' }, { home: homeA }).guestCredentials('vm-c')).rejects.toThrow(/forwards to http:\/\/127\.0\.0\.1:\d+, but credential_proxy_upstream is http:\/\/127\.0\.0\.1:9/);
    expect((await stopDaemon(homeA)).result).toBe('stopped');
  }, 20_000);

  it('direct mode: hands the host credential to the guest by source', async () => {
    const home = newHome();
    const config = resolveProxyConfig({ credential_proxy: false });
    const env = { PATH: process.env['PATH'] ?? '', HOME: home, CLAUDE_CODE_OAUTH_TOKEN: 'oauth-x' };
    expect(await createProxyControl(config, { home }, { env }).guestCredentials('vm')).toEqual({ env: { CLAUDE_CODE_OAUTH_TOKEN: 'oauth-x' }, files: [], source: 'CLAUDE_CODE_OAUTH_TOKEN env var' });
    const none = await createProxyControl(config, { home }, { env: { PATH: env.PATH, HOME: home } }).guestCredentials('vm');
    expect(none).toEqual({ env: {}, files: [], source: 'none' });
    expect(existsSync(join(home, 'proxy', 'proxy.pid'))).toBe(false);
  });
});
