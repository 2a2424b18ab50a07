// Real HTTP clients a guest uses (curl, undici's EnvHttpProxyAgent) with the proxy env tk
// provisions (token in the HTTP_PROXY userinfo), against loopback stand-ins for allowlisted hosts.
// NO_PROXY is emptied here because the stand-ins live on loopback; in a VM they are remote hosts.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvHttpProxyAgent, request } from 'undici';
import { proxyGuestEnv } from '../../src/proxy/control.js';
import { startStandIn, startTestProxy, type TestProxy } from './helpers.js';

let p: TestProxy;
let registry: Awaited<ReturnType<typeof startStandIn>>;
let hostService: Awaited<ReturnType<typeof startStandIn>>;
let env: Record<string, string>;

beforeAll(async () => {
  registry = await startStandIn('registry');
  hostService = await startStandIn('host-service');
  p = await startTestProxy({ credential_proxy_allow: [`127.0.0.1:${registry.port}`] });
  env = { ...proxyGuestEnv('127.0.0.1', p.proxy.port, p.store.issue('vm-clients')), NO_PROXY: '', no_proxy: '' };
});
afterAll(async () => {
  await p.close();
  await registry.close();
  await hostService.close();
});

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent', ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe('guest clients through the proxy with the provisioned env', () => {
  it('curl: plain http (absolute form) and tunnelled (CONNECT), authenticated from the URL userinfo', async () => {
    const plain = await run('curl', ['-sS', '--fail', `http://127.0.0.1:${registry.port}/lodash`]);
    expect(plain.stdout).toBe('stand-in registry GET /lodash');
    const tunnel = await run('curl', ['-sS', '--fail', '--proxytunnel', `http://127.0.0.1:${registry.port}/tunnelled`]);
    expect(tunnel.stdout).toBe('stand-in registry GET /tunnelled');
    expect(p.logs.filter((l) => l.includes('vm=vm-clients')).length).toBeGreaterThanOrEqual(2);
  });

  it('curl: a host service that is not listed gets 403', async () => {
    const r = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${hostService.port}/admin`]);
    expect(r.stdout).toBe('403');
    expect(hostService.seen).toHaveLength(0);
  });

  it("undici's EnvHttpProxyAgent (Node clients) authenticates from the URL userinfo", async () => {
    const agent = new EnvHttpProxyAgent({ httpProxy: env['HTTP_PROXY']!, noProxy: '' });
    try {
      const r = await request(`http://127.0.0.1:${registry.port}/undici`, { dispatcher: agent });
      expect(r.statusCode).toBe(200);
      expect(await r.body.text()).toBe('stand-in registry GET /undici');
    } finally {
      await agent.close();
    }
  });

  it('without the token in the proxy URL, clients get 407', async () => {
    const r = await new Promise<string>((resolve) => {
      execFile('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-x', `http://127.0.0.1:${p.proxy.port}`, `http://127.0.0.1:${registry.port}/x`], { timeout: 20_000 }, (_e, out) => resolve(String(out)));
    });
    expect(r).toBe('407');
  });
});
