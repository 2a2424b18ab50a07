import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRepoRoots, loadConfig, proxyConfigFrom, setTrust } from '../../src/adapters/config-loader.js';
import { tkPaths } from '../../src/adapters/paths.js';
import { git, makeRepo, tempDir } from '../helpers/git-repo.js';

describe('loadConfig', () => {
  it('layers the global and repo files, from a linked worktree too; trust follows content', async () => {
    const home = tempDir();
    const env = { HOME: home, TK_HOME: home };
    const paths = tkPaths(env);
    writeFileSync(paths.configFile, 'vm_cpus = 2\nprovision_scripts = ["~/g.sh", "rel.sh"]\n');
    const { parent, root } = makeRepo('proj');
    writeFileSync(join(root, '.tachikoma.toml'), 'vm_cpus = 6\nprovision_scripts = ["setup.sh"]\ncredential_command = "echo tok"\n');
    git(root, 'add', '.tachikoma.toml');
    git(root, 'commit', '-qm', 'cfg');
    git(root, 'worktree', 'add', '-q', '-b', 'wt', join(parent, 'wt'));
    mkdirSync(join(parent, 'wt', 'sub'));
    expect(findRepoRoots(join(parent, 'wt', 'sub'))).toEqual({ worktreeRoot: join(parent, 'wt'), mainRoot: root });

    const a = await loadConfig({ cwd: join(parent, 'wt', 'sub'), env });
    expect(a.config.vm_cpus).toBe(6);
    expect(a.config.provision_scripts).toEqual([join(parent, 'wt', 'setup.sh')]);
    expect(a.config.credential_command).toBeNull();
    expect(a.trust).toBe('untrusted');
    expect(a.warnings.join('\n')).toMatch(/Ignored credential_command/);
    expect(a.files).toEqual([paths.configFile, join(parent, 'wt', '.tachikoma.toml')]);

    await setTrust(paths, a.roots!, true);
    const b = await loadConfig({ cwd: join(parent, 'wt'), env });
    expect(b.trust).toBe('trusted');
    expect(b.config.credential_command).toBe('echo tok');
    expect(b.warnings).toEqual([]);

    // An edit (here: a new local file) revokes trust.
    writeFileSync(join(parent, 'wt', '.tachikoma.local.toml'), 'api_key_command = "cat /key"\n');
    const c = await loadConfig({ cwd: join(parent, 'wt'), env });
    expect(c.trust).toBe('changed');
    expect(c.config.credential_command).toBeNull();
    expect(c.config.api_key_command).toBeNull();
    expect(c.warnings.join('\n')).toMatch(/changed since you trusted/);

    // Global-only: paths relative to the config dir, ~ expanded.
    const g = await loadConfig({ cwd: tempDir(), env });
    expect(g.config.provision_scripts).toEqual([join(home, 'g.sh'), join(home, 'rel.sh')]);
    expect(g.roots).toBeNull();
  });

  it('tart path: TK_TART, else tart_path, else tart; proxy config builds', async () => {
    const home = tempDir();
    expect((await loadConfig({ cwd: home, env: { TK_HOME: home } })).tartPath).toBe('tart');
    writeFileSync(join(home, 'config.toml'), 'tart_path = "/opt/tart"\ncredential_proxy_bind = "127.0.0.1"\n');
    const l = await loadConfig({ cwd: home, env: { TK_HOME: home } });
    expect(l.tartPath).toBe('/opt/tart');
    expect((await loadConfig({ cwd: home, env: { TK_HOME: home, TK_TART: '/x/tart-sim' } })).tartPath).toBe('/x/tart-sim');
    const p = proxyConfigFrom(l.config);
    expect(p.credential_proxy_bind).toBe('127.0.0.1');
    expect(p.credential_proxy_allow).toContain('api.anthropic.com');
  });
});
