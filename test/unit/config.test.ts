import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, trustRepo, untrustRepo, findRepoRoots } from '../../src/adapters/config-loader.js';
import { resolveTkPaths } from '../../src/adapters/paths.js';
import { DEFAULT_CONFIG, findKeyLine, isIpLiteral, isUnspecified, resolveConfig, type ConfigLayer } from '../../src/core/config.js';

const layer = (kind: ConfigLayer['kind'], text: string, file = `/f/${kind}.toml`, baseDir = '/repo'): ConfigLayer => ({ kind, file, baseDir, text, table: parse(text) as Record<string, unknown> });

describe('resolveConfig', () => {
  it('defaults, then layers in order; arrays replace', () => {
    const r = resolveConfig([layer('global', 'vm_cpus = 2\nclaude_flags = ["a"]\n'), layer('repo', 'vm_cpus = 6\nclaude_flags = ["b"]\n')], { trustedRepo: false });
    expect(r.config.vm_cpus).toBe(6);
    expect(r.config.claude_flags).toEqual(['b']);
    expect(r.config.vm_memory).toBe(DEFAULT_CONFIG.vm_memory);
    expect(r.config.agent_install_command).toBe('curl -fsSL https://claude.ai/install.sh | bash');
    expect(r.origin.vm_cpus).toBe('/f/repo.toml');
    expect(r.warnings).toEqual([]);
  });
  it('errors name file, key and line', () => {
    const text = '# comment\nbase_image = "x"\n\nvm_cpus = "four"\n[dashboard]\nbell = true\n';
    expect(() => resolveConfig([layer('global', text, '/g/config.toml')], { trustedRepo: false })).toThrow(/\/g\/config\.toml:4: vm_cpus: expected an integer, got string "four"/);
  });
  it('unknown keys warn with file and line', () => {
    const r = resolveConfig([layer('global', 'vm_cpu = 3\n')], { trustedRepo: false });
    expect(r.warnings[0]).toMatch(/\/f\/global\.toml:1: unknown key 'vm_cpu'/);
  });
  it('untrusted repo files may set only the allowlist; the rest is ignored with a warning', () => {
    const text = 'base_image = "img"\ncredential_command = "cat ~/.secret"\ncredential_proxy = false\nworktree_dir = "/tmp"\n';
    for (const kind of ['repo', 'local'] as const) {
      const r = resolveConfig([layer(kind, text)], { trustedRepo: false });
      expect(r.config.base_image).toBe('img');
      expect(r.config.credential_command).toBeNull();
      expect(r.config.credential_proxy).toBe(true);
      expect(r.warnings.join('\n')).toMatch(/credential_command, credential_proxy, worktree_dir.*tk config trust/);
    }
    const t = resolveConfig([layer('repo', text)], { trustedRepo: true });
    expect(t.config.credential_command).toBe('cat ~/.secret');
    expect(t.config.credential_proxy).toBe(false);
  });
  it('repo provision_scripts stay inside the repository', () => {
    expect(resolveConfig([layer('repo', 'provision_scripts = ["scripts/a.sh", "./b.sh"]')], { trustedRepo: false }).config.provision_scripts).toEqual(['/repo/scripts/a.sh', '/repo/b.sh']);
    expect(() => resolveConfig([layer('repo', 'provision_scripts = ["../x.sh"]')], { trustedRepo: false })).toThrow(/repo\.toml:1: provision_scripts: "\.\.\/x\.sh" leaves the repository/);
    expect(() => resolveConfig([layer('repo', 'provision_scripts = ["a/../../x.sh"]')], { trustedRepo: true })).toThrow(/leaves/);
    expect(() => resolveConfig([layer('local', 'provision_scripts = ["/etc/x.sh"]')], { trustedRepo: true })).toThrow(/absolute/);
    expect(resolveConfig([layer('global', 'provision_scripts = ["~/s.sh"]')], { trustedRepo: false, home: '/home/u' }).config.provision_scripts).toEqual(['/home/u/s.sh']);
  });
  it('share_claude_dirs and credential_proxy_bind are validated', () => {
    expect(() => resolveConfig([layer('repo', 'share_claude_dirs = ["../x"]')], { trustedRepo: false })).toThrow(/share_claude_dirs: invalid entry/);
    for (const bad of ['0.0.0.0', '::', '[::]', '0:0::0', '::ffff:0.0.0.0', '::ffff:0:0', '0:0:0:0:0:ffff:0.0.0.0', '::0.0.0.0', '0:0:0:0:0:0:0:0']) {
      expect(() => resolveConfig([layer('global', `credential_proxy_bind = "${bad}"`)], { trustedRepo: false })).toThrow(/must not be 0\.0\.0\.0/);
    }
    expect(() => resolveConfig([layer('global', 'credential_proxy_bind = "localhost"')], { trustedRepo: false })).toThrow(/not an IP/);
    expect(resolveConfig([layer('global', 'credential_proxy_bind = "127.0.0.1"')], { trustedRepo: false }).config.credential_proxy_bind).toBe('127.0.0.1');
    expect(resolveConfig([layer('global', 'credential_proxy_bind = "::ffff:127.0.0.1"')], { trustedRepo: false }).config.credential_proxy_bind).toBe('::ffff:127.0.0.1');
    expect(isUnspecified('::1')).toBe(false);
    expect(isUnspecified('::ffff:0.0.0.1')).toBe(false);
    expect(isIpLiteral('::1')).toBe(true);
    expect(isIpLiteral('fe80::1:2')).toBe(true);
    expect(isIpLiteral('256.0.0.1')).toBe(false);
  });
  it('findKeyLine respects tables', () => {
    expect(findKeyLine('[dashboard]\nbell = true\n', 'bell')).toBeNull();
    expect(findKeyLine('[dashboard]\nbell = true\n', 'bell', 'dashboard')).toBe(2);
  });
});

describe('loadConfig (files, trust store)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tk-cfg-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const paths = resolveTkPaths({ TK_HOME: join(root, 'home') });
  const repo = join(root, 'repo');
  mkdirSync(join(repo, '.git'), { recursive: true });
  mkdirSync(join(repo, 'sub'));

  it('trust is keyed by content: editing a repo file revokes it', () => {
    writeFileSync(join(repo, '.tachikoma.toml'), 'vm_cpus = 3\napi_key_command = "echo k"\n');
    let c = loadConfig({ paths, cwd: join(repo, 'sub') });
    expect(c.config.vm_cpus).toBe(3);
    expect(c.config.api_key_command).toBeNull();
    expect(c.trusted).toBe(false);
    trustRepo(paths, findRepoRoots(repo)!);
    c = loadConfig({ paths, cwd: repo });
    expect(c.trusted).toBe(true);
    expect(c.config.api_key_command).toBe('echo k');
    writeFileSync(join(repo, '.tachikoma.local.toml'), 'api_key_command = "evil"\n');
    c = loadConfig({ paths, cwd: repo });
    expect(c.trusted).toBe(false);
    expect(c.config.api_key_command).toBeNull();
    expect(c.warnings.join()).toMatch(/\.tachikoma\.local\.toml sets api_key_command/);
    trustRepo(paths, findRepoRoots(repo)!);
    expect(loadConfig({ paths, cwd: repo }).config.api_key_command).toBe('evil');
    expect(untrustRepo(paths, findRepoRoots(repo)!)).toBe(true);
    expect(loadConfig({ paths, cwd: repo }).trusted).toBe(false);
  });
  it('TOML syntax errors name file, line and column', () => {
    mkdirSync(paths.configDir, { recursive: true });
    writeFileSync(paths.config, 'vm_cpus = 2\nbase_image = \n');
    expect(() => loadConfig({ paths, cwd: root })).toThrow(/config\.toml:2:\d+: invalid TOML/);
    writeFileSync(paths.config, 'vm_cpus = 2\n');
    expect(loadConfig({ paths, cwd: root }).config.vm_cpus).toBe(2);
  });
  it('finds the main repository from a linked worktree without git', () => {
    const wt = join(root, 'wt');
    mkdirSync(join(repo, '.git', 'worktrees', 'wt'), { recursive: true });
    writeFileSync(join(repo, '.git', 'worktrees', 'wt', 'commondir'), '../..\n');
    mkdirSync(wt);
    writeFileSync(join(wt, '.git'), `gitdir: ${join(repo, '.git', 'worktrees', 'wt')}\n`);
    expect(findRepoRoots(wt)).toEqual({ worktreeRoot: wt, mainRoot: repo });
  });
});
