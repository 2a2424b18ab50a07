import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CredentialCache, directGuestCredentials, extractOAuthToken, resolveHostCredential, upstreamAuth, type CredentialSources, type HostCredential } from '../../src/core/credentials.js';
import { hostCredentialSources } from '../../src/adapters/credential-sources.js';

/** A behaving fake: a little host with a keychain, env, credentials file and shell commands. */
type Host = { keychain?: Record<string, string>; env?: Record<string, string>; file?: string; commands?: Record<string, string> };
function fakeHost(h: Host) {
  const calls: string[] = [];
  const src: CredentialSources = {
    async keychain(service) {
      calls.push(`keychain:${service}`);
      return h.keychain?.[service];
    },
    env: (name) => h.env?.[name],
    async credentialsFile() {
      calls.push('file');
      return h.file;
    },
    async runCommand(cmd) {
      calls.push(`cmd:${cmd}`);
      return h.commands?.[cmd];
    },
  };
  return { src, calls };
}

describe('credential waterfall (tachikoma §7.1 order)', () => {
  const all: Host = {
    keychain: { 'Claude Code': 'kc-key', 'Claude Code-credentials': '{"claudeAiOauth":{"accessToken":"kc-oauth"}}' },
    env: { CLAUDE_CODE_OAUTH_TOKEN: 'env-oauth', ANTHROPIC_API_KEY: 'env-key', CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: 'eu-west-1' },
    file: '{"claudeAiOauth":{"accessToken":"file-oauth"}}',
    commands: { 'get-oauth': 'cmd-oauth\n', 'get-key': ' cmd-key ' },
  };
  const opts = { credentialCommand: 'get-oauth', apiKeyCommand: 'get-key' };

  it('takes the first hit and labels it by source; kind comes from the source', async () => {
    const steps: [Host, string, HostCredential['kind'], string | undefined][] = [
      [all, 'macOS Keychain', 'api-key', 'kc-key'],
      [{ ...all, keychain: {} }, 'CLAUDE_CODE_OAUTH_TOKEN env var', 'oauth', 'env-oauth'],
      [{ ...all, keychain: {}, env: { ...all.env, CLAUDE_CODE_OAUTH_TOKEN: '' } }, 'credential command', 'oauth', 'cmd-oauth'],
      [{ ...all, keychain: {}, env: { ANTHROPIC_API_KEY: 'env-key' }, commands: {} }, 'credentials file', 'oauth-file', all.file],
      [{ keychain: { 'Claude Code-credentials': 'doc' }, env: { ANTHROPIC_API_KEY: 'env-key' } }, 'macOS Keychain (Claude Code-credentials)', 'oauth-file', 'doc'],
      [{ env: { ANTHROPIC_API_KEY: 'env-key' }, commands: { 'get-key': 'cmd-key' }, file: '  \n' }, 'ANTHROPIC_API_KEY env var', 'api-key', 'env-key'],
      [{ commands: { 'get-key': ' cmd-key ' } }, 'API key command', 'api-key', 'cmd-key'],
      [{ env: { CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: 'eu-west-1' } }, 'AWS Bedrock', 'provider-env', undefined],
      [{}, 'none', 'none', undefined],
    ];
    for (const [host, label, kind, value] of steps) {
      const c = await resolveHostCredential(fakeHost(host).src, opts);
      expect(c.label, label).toBe(label);
      expect(c.kind, label).toBe(kind);
      if (value !== undefined) expect('value' in c ? c.value : undefined, label).toBe(value);
    }
  });

  it('runs the commands only when the (trusted) config passes them', async () => {
    const h = fakeHost({ commands: all.commands });
    const c = await resolveHostCredential(h.src, {});
    expect(c.kind).toBe('none');
    expect(h.calls.filter((x) => x.startsWith('cmd:'))).toEqual([]);
  });

  it('maps sources to the injected header', () => {
    expect(upstreamAuth({ kind: 'api-key', source: 'keychain', label: 'macOS Keychain', value: 'k' })).toMatchObject({ ok: true, header: 'x-api-key', value: 'k', oauth: false });
    expect(upstreamAuth({ kind: 'oauth', source: 'oauth-env', label: 'x', value: 't' })).toMatchObject({ ok: true, header: 'authorization', value: 'Bearer t', oauth: true });
    expect(upstreamAuth({ kind: 'oauth-file', source: 'credentials-file', label: 'credentials file', value: '{"accessToken":"top"}' })).toMatchObject({ ok: true, value: 'Bearer top' });
    expect(upstreamAuth({ kind: 'oauth-file', source: 'credentials-file', label: 'credentials file', value: 'garbage' })).toMatchObject({ ok: false, status: 503 });
    expect(upstreamAuth({ kind: 'provider-env', source: 'provider-env', label: 'AWS Bedrock', provider: 'bedrock', vars: {} })).toMatchObject({ ok: false, status: 503 });
    expect(upstreamAuth({ kind: 'none', source: 'none', label: 'none' })).toMatchObject({ ok: false, status: 503 });
    expect(extractOAuthToken('{"claudeAiOauth":{"accessToken":" a "}}')).toBe('a');
    expect(extractOAuthToken('[]')).toBeUndefined();
  });
});

describe('CredentialCache', () => {
  it('caches a credential for the TTL, then resolves again', async () => {
    let now = 0;
    let n = 0;
    const cache = new CredentialCache(async () => ({ kind: 'api-key', source: 'api-key-env', label: 'l', value: `k${++n}` }), 1000, () => now);
    expect(cache.peekLabel()).toBeUndefined();
    expect(await cache.get()).toMatchObject({ value: 'k1' });
    expect(cache.peekLabel()).toBe('l');
    now = 999;
    expect(await cache.get()).toMatchObject({ value: 'k1' });
    now = 1000;
    expect(await cache.get()).toMatchObject({ value: 'k2' });
    cache.invalidate();
    expect(await cache.get()).toMatchObject({ value: 'k3' });
  });

  it('never caches "none": a login after the proxy started is picked up on the next request', async () => {
    let loggedIn = false;
    let n = 0;
    const cache = new CredentialCache(async (): Promise<HostCredential> => {
      n++;
      return loggedIn ? { kind: 'oauth', source: 'oauth-env', label: 'l', value: 'tok' } : { kind: 'none', source: 'none', label: 'none' };
    }, 300_000, () => 0);
    expect((await cache.get()).kind).toBe('none');
    expect((await cache.get()).kind).toBe('none');
    expect(n).toBe(2);
    loggedIn = true;
    expect((await cache.get()).kind).toBe('oauth');
    await cache.get();
    expect(n).toBe(3);
  });

  it('shares one resolution among concurrent callers', async () => {
    let n = 0;
    const cache = new CredentialCache(async () => {
      n++;
      await new Promise((r) => setTimeout(r, 10));
      return { kind: 'api-key', source: 'api-key-env', label: 'l', value: 'k' } as HostCredential;
    }, 1000);
    await Promise.all([cache.get(), cache.get(), cache.get()]);
    expect(n).toBe(1);
  });
});

describe('direct mode guest credentials', () => {
  it('exports API keys / OAuth tokens, writes credential files, filters provider vars', () => {
    expect(directGuestCredentials({ kind: 'api-key', source: 'keychain', label: 'macOS Keychain', value: 'k' })).toMatchObject({ env: { ANTHROPIC_API_KEY: 'k' }, files: [], source: 'macOS Keychain' });
    expect(directGuestCredentials({ kind: 'oauth', source: 'credential-command', label: 'credential command', value: 't' }).env).toEqual({ CLAUDE_CODE_OAUTH_TOKEN: 't' });
    expect(directGuestCredentials({ kind: 'oauth-file', source: 'credentials-file', label: 'credentials file', value: '{}' }).files).toEqual([{ path: '.claude/.credentials.json', content: '{}' }]);
    const pe = directGuestCredentials({ kind: 'provider-env', source: 'provider-env', label: 'AWS Bedrock', provider: 'bedrock', vars: { CLAUDE_CODE_USE_BEDROCK: '1', 'bad-name': 'x' } });
    expect(pe.env).toEqual({ CLAUDE_CODE_USE_BEDROCK: '1' });
    expect(pe.warnings[0]).toMatch(/bad-name/);
    expect(directGuestCredentials({ kind: 'none', source: 'none', label: 'none' })).toMatchObject({ env: {}, files: [], source: 'none' });
  });
});

describe('host credential sources (adapter)', () => {
  it('reads env, the credentials file, runs sh -c commands (output is the secret) and skips the keychain off macOS', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tk-cred-'));
    try {
      const logs: string[] = [];
      const src = hostCredentialSources({ env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', SECRET_IN_ENV: 'from-env' }, platform: 'linux', home, log: (l) => logs.push(l) });
      expect(await src.keychain('Claude Code')).toBeUndefined();
      expect(src.env('SECRET_IN_ENV')).toBe('from-env');
      expect(src.env('MISSING')).toBeUndefined();
      expect(await src.credentialsFile()).toBeUndefined();
      mkdirSync(join(home, '.claude'));
      writeFileSync(join(home, '.claude', '.credentials.json'), '{"accessToken":"x"}');
      expect(await src.credentialsFile()).toBe('{"accessToken":"x"}');
      expect(await src.runCommand('printf "%s\\n" "$SECRET_IN_ENV"')).toBe('from-env');
      expect(await src.runCommand('echo leaked-secret; exit 3')).toBeUndefined();
      expect(logs.join('\n')).toMatch(/exit 3/);
      expect(logs.join('\n')).not.toContain('leaked-secret');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
