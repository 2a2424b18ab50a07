import { statSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TkError } from '../../src/core/errors.js';
import { DEFAULT_ALLOW, parseAllowPattern, resolveProxyConfig, validateBind } from '../../src/proxy/config.js';
import { checkDestination } from '../../src/proxy/server.js';
import { TokenStore, TokenTable, tokensPath } from '../../src/proxy/tokens.js';
import { proxyGuestEnv } from '../../src/proxy/control.js';

describe('proxy config', () => {
  it('has the tachikoma defaults', () => {
    const c = resolveProxyConfig();
    expect(c).toMatchObject({ credential_proxy: true, credential_proxy_port: 19280, credential_proxy_bind: '192.168.64.1', credential_proxy_ttl_secs: 300, credential_proxy_upstream: 'https://api.anthropic.com' });
    for (const h of ['api.anthropic.com', 'registry.npmjs.org', 'deb.debian.org', 'pypi.org', 'files.pythonhosted.org', 'github.com', 'objects.githubusercontent.com']) expect(DEFAULT_ALLOW).toContain(h);
  });

  it('validates the bind address: IP literal, never a wildcard', () => {
    expect(validateBind('127.0.0.1')).toBe('127.0.0.1');
    expect(validateBind('[::1]')).toBe('::1');
    for (const bad of ['0.0.0.0', '::', '[::]', '0:0:0:0:0:0:0:0', '::ffff:0.0.0.0', '::ffff:0:0', 'localhost', '192.168.64', '', 'example.com']) {
      expect(() => validateBind(bad), bad).toThrow(TkError);
    }
    expect(() => resolveProxyConfig({ credential_proxy_bind: '0.0.0.0' })).toThrow(/Refusing to bind.*0\.0\.0\.0/);
    expect(() => resolveProxyConfig({ credential_proxy_port: 70000 })).toThrow(/port/);
    expect(() => resolveProxyConfig({ credential_proxy_upstream: 'ftp://x' })).toThrow(/upstream/);
    expect(() => resolveProxyConfig({ credential_proxy_upstream: 'https://u:p@x' })).toThrow(/without credentials/);
  });

  it('parses allowlist patterns and rejects junk', () => {
    expect(parseAllowPattern('*.Example.com')).toMatchObject({ host: 'example.com', wildcard: true, port: undefined });
    expect(parseAllowPattern('10.0.0.5:8080')).toMatchObject({ host: '10.0.0.5', port: 8080 });
    expect(parseAllowPattern('[::1]:*')).toMatchObject({ host: '::1', port: '*' });
    for (const bad of ['http://x', 'a b', '*.10.0.0.1', 'x:99999', '*']) expect(() => parseAllowPattern(bad), bad).toThrow(TkError);
  });

  it('matches destinations: exact vs wildcard, ports, private addresses only when listed explicitly', async () => {
    const allow = ['registry.npmjs.org', '*.githubusercontent.com', 'localhost:8080', 'intra.corp:*'].map(parseAllowPattern);
    const dns = async (h: string) => [{ address: h === 'localhost' || h === 'evil.githubusercontent.com' ? '127.0.0.1' : h === 'intra.corp' ? '10.0.0.7' : '104.16.0.1', family: 4 }];
    expect(await checkDestination('registry.npmjs.org', 443, allow, dns)).toMatchObject({ ok: true, address: '104.16.0.1' });
    expect(await checkDestination('registry.npmjs.org', 22, allow, dns)).toMatchObject({ ok: false, status: 403 });
    expect(await checkDestination('objects.githubusercontent.com', 443, allow, dns)).toMatchObject({ ok: true });
    expect(await checkDestination('githubusercontent.com', 443, allow, dns)).toMatchObject({ ok: false, status: 403 });
    expect(await checkDestination('evil.githubusercontent.com', 443, allow, dns)).toMatchObject({ ok: false, status: 403 });
    expect(await checkDestination('localhost', 8080, allow, dns)).toMatchObject({ ok: true, address: '127.0.0.1' });
    expect(await checkDestination('intra.corp', 5432, allow, dns)).toMatchObject({ ok: true, address: '10.0.0.7' });
    expect(await checkDestination('169.254.169.254', 80, allow, dns)).toMatchObject({ ok: false, status: 403 });
  });
});

describe('token store', () => {
  it('issues random per-VM tokens in a 0600 file, idempotently, and revokes them', () => {
    const home = mkdtempSync(join(tmpdir(), 'tk-tokens-'));
    try {
      const s = new TokenStore(home);
      const a = s.issue('vm-a');
      const b = s.issue('vm-b');
      expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(a).not.toBe(b);
      expect(s.issue('vm-a')).toBe(a);
      expect(statSync(tokensPath(home)).mode & 0o777).toBe(0o600);
      expect(statSync(join(home, 'proxy')).mode & 0o777).toBe(0o700);
      const table = new TokenTable(tokensPath(home));
      expect(table.vmFor(a)).toBe('vm-a');
      expect(table.vmFor(b)).toBe('vm-b');
      expect(table.vmFor('x')).toBeUndefined();
      expect(table.vmFor(undefined)).toBeUndefined();
      s.revoke('vm-a');
      expect(table.vmFor(a)).toBeUndefined();
      expect(table.vmFor(b)).toBe('vm-b');
      expect(s.list()).toEqual(['vm-b']);
      expect(JSON.parse(readFileSync(tokensPath(home), 'utf8')).tokens['vm-b'].token).toBe(b);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('guest env (proxy mode)', () => {
  it('points Claude Code at the proxy with the VM token and keeps the proxy itself out of HTTP_PROXY', () => {
    const env = proxyGuestEnv('192.168.64.1', 19280, 'TOKEN_abc-123');
    expect(env).toMatchObject({
      ANTHROPIC_BASE_URL: 'http://192.168.64.1:19280',
      ANTHROPIC_AUTH_TOKEN: 'TOKEN_abc-123',
      HTTP_PROXY: 'http://tk:TOKEN_abc-123@192.168.64.1:19280',
      https_proxy: 'http://tk:TOKEN_abc-123@192.168.64.1:19280',
      NO_PROXY: 'localhost,127.0.0.1,::1,192.168.64.1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    });
    expect(env['ANTHROPIC_API_KEY']).toBeUndefined();
    expect(proxyGuestEnv('127.0.0.1', 1, 't')['no_proxy']).toBe('localhost,127.0.0.1,::1');
  });
});
