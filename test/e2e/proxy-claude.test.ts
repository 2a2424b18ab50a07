// The real Claude Code CLI (`claude -p`) through the credential proxy, with exactly the environment
// provisioning gives a guest (CredentialProxyControl.guestCredentials), against a loopback fake
// Messages API. Host variant: claude runs on this host with a fresh HOME and nothing but that env.
// The in-VM variant (claude -p inside a tart-sim guest) is test/e2e/proxy-vm.test.ts.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveProxyConfig } from '../../src/proxy/config.js';
import { createProxyControl } from '../../src/proxy/control.js';
import { proxyLogPath } from '../../src/proxy/daemon.js';
import { stopDaemon } from '../../src/proxy/lifecycle.js';
import { buildProxyEntry, freePort } from '../proxy/build-entry.js';
import { HOST_KEY, startFakeApi, type FakeApi } from '../proxy/helpers.js';

const require = createRequire(import.meta.url);
const claudeBin = join(dirname(require.resolve('@anthropic-ai/claude-code/package.json')), 'bin', 'claude.exe');

let entry: string;
let api: FakeApi;
let home: string;
let guestEnv: Record<string, string>;
let port: number;

beforeAll(async () => {
  entry = await buildProxyEntry();
  process.env['TK_PROXY_ENTRY'] = entry;
  api = await startFakeApi();
  home = mkdtempSync(join(tmpdir(), 'tk-proxy-claude-'));
  port = await freePort();
  const config = resolveProxyConfig({ credential_proxy_bind: '127.0.0.1', credential_proxy_port: port, credential_proxy_upstream: api.url });
  const control = createProxyControl(config, { home }, { env: { ...process.env, ANTHROPIC_API_KEY: HOST_KEY, CLAUDE_CODE_OAUTH_TOKEN: '' } });
  guestEnv = (await control.guestCredentials('tk-claude-e2e')).env;
}, 60_000);
afterAll(async () => {
  await stopDaemon(home).catch(() => undefined);
  rmSync(home, { recursive: true, force: true });
  await api.close();
  rmSync(dirname(entry), { recursive: true, force: true });
});

function runClaude(extra: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; guestHome: string }> {
  const guestHome = mkdtempSync(join(tmpdir(), 'tk-guest-home-'));
  return new Promise((resolve) => {
    execFile(claudeBin, ['-p', 'say hi'], {
      cwd: guestHome,
      timeout: 60_000,
      env: { PATH: '/usr/bin:/bin', HOME: guestHome, TERM: 'xterm', CLAUDE_CODE_MAX_RETRIES: '0', ...guestEnv, ...extra },
    }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr), guestHome });
    });
  });
}

describe('claude -p through the proxy with the provisioning env', () => {
  it('is installed', () => {
    expect(existsSync(claudeBin)).toBe(true);
  });

  it('gets its answer; the host key reaches the upstream, the guest only ever had its token', async () => {
    api.requests.length = 0;
    const r = await runClaude({});
    expect(r.stdout.trim(), r.stderr).toBe('hi from fake');
    expect(r.code).toBe(0);
    const posts = api.requests.filter((q) => q.url.startsWith('/v1/messages'));
    expect(posts.length).toBeGreaterThan(0);
    expect(posts[0]!.url).toBe('/v1/messages?beta=true');
    for (const q of posts) {
      expect(q.headers['x-api-key']).toBe(HOST_KEY);
      expect(q.headers['authorization']).toBeUndefined();
    }
    expect(JSON.stringify(guestEnv)).not.toContain(HOST_KEY);
    const log = readFileSync(proxyLogPath(home), 'utf8');
    expect(log).toMatch(/vm=tk-claude-e2e POST \/v1\/messages\?… -> 200/);
    expect(log).not.toContain(HOST_KEY);
    expect(log).not.toContain(guestEnv['ANTHROPIC_AUTH_TOKEN']!);
    rmSync(r.guestHome, { recursive: true, force: true });
  }, 90_000);

  it('also works when the client sends the API call through HTTP_PROXY (absolute form, empty NO_PROXY)', async () => {
    api.requests.length = 0;
    const r = await runClaude({ NO_PROXY: '', no_proxy: '' });
    expect(r.stdout.trim(), r.stderr).toBe('hi from fake');
    expect(api.requests.some((q) => q.url === '/v1/messages?beta=true' && q.headers['x-api-key'] === HOST_KEY)).toBe(true);
    expect(readFileSync(proxyLogPath(home), 'utf8')).toMatch(/vm=tk-claude-e2e POST \/v1\/messages\?… -> 200 .*absolute-form via HTTP_PROXY/);
    rmSync(r.guestHome, { recursive: true, force: true });
  }, 90_000);

  it('fails cleanly with a revoked token', async () => {
    const control = createProxyControl(resolveProxyConfig({ credential_proxy_bind: '127.0.0.1', credential_proxy_port: port }), { home });
    await control.revoke('tk-claude-e2e');
    api.requests.length = 0;
    const r = await runClaude({});
    expect(r.code).not.toBe(0);
    expect(api.requests).toHaveLength(0);
    rmSync(r.guestHome, { recursive: true, force: true });
  }, 90_000);
});
