// `tk pr` through the CLI (in-process): name resolution, --name, --json documents, refusals before any push.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VmRecord } from '../../src/core/model.js';
import { git, makeRepo, tempDir } from '../helpers/git-repo.js';
import { RECORDED_TART, tk } from './helpers.js';

function setup(over: Partial<VmRecord> = {}) {
  const { parent, root } = makeRepo('myapp');
  const wt = join(parent, 'wt');
  git(root, 'worktree', 'add', '-q', '-b', 'feat', wt);
  const rec: VmRecord = {
    name: 'tachikoma-myapp-feat',
    repo: 'myapp',
    branch: 'feat',
    worktree_path: wt,
    created_at: '2026-03-01T08:00:00.000Z',
    last_used: '2026-03-02T09:30:00.000Z',
    status: 'stopped',
    ip: null,
    repo_root: root,
    push_url: 'https://github.com/o/myapp.git',
    ...over,
  };
  const home = tempDir();
  writeFileSync(join(home, 'state.json'), JSON.stringify({ version: 1, vms: [rec] }, null, 2));
  const env = { PATH: process.env['PATH'], HOME: home, TK_HOME: home, TK_TART: RECORDED_TART };
  return { root, wt, env, cwd: tempDir() };
}

describe('tk pr (CLI)', () => {
  it('--name NAME, positional NAME and the current branch all resolve; nothing to commit is an error document', async () => {
    const w = setup();
    const j = await tk(['pr', '--name', 'tachikoma-myapp-feat', '--json'], w);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ success: false, code: 'git', error: 'Nothing to commit — no changes detected in worktree' });
    const p = await tk(['pr', 'tachikoma-myapp-feat'], w);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain('Nothing to commit — no changes detected in worktree');
    const cur = await tk(['pr'], { ...w, cwd: w.wt });
    expect(cur.stderr).toContain('Nothing to commit');
  });

  it('two different names: usage error (exit 2); unknown VM: not found', async () => {
    const w = setup();
    const u = await tk(['pr', 'a', '--name', 'b'], w);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/Two different VM names/);
    const nf = await tk(['pr', '--name', 'nope', '--json'], w);
    expect(JSON.parse(nf.stdout)).toMatchObject({ success: false, code: 'vm' });
  });

  it('an untrusted origin (no recorded push_url) is refused before committing anything', async () => {
    const w = setup({ push_url: undefined });
    git(w.root, 'remote', 'add', 'origin', 'https://evil.example/o/myapp.git');
    writeFileSync(join(w.wt, 'README.md'), 'changed\n');
    const r = await tk(['pr', '--name', 'tachikoma-myapp-feat', '--json'], w);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ success: false, code: 'git' });
    expect(r.stderr).toMatch(/will not push to "https:\/\/evil.example\/o\/myapp.git"/);
    expect(git(w.wt, 'status', '--porcelain')).toBe(' M README.md\n');
  });

  it('github_hosts from a repository file is ignored even after tk config trust; from the user config it is shown and validated', async () => {
    const w = setup({ push_url: undefined });
    git(w.root, 'remote', 'add', 'origin', 'git@github.example.com:team/myapp.git');
    writeFileSync(join(w.wt, '.tachikoma.toml'), 'vm_cpus = 2\ngithub_hosts = ["github.example.com"]\nssh_user = "trusted"\n');
    const inWt = { ...w, cwd: w.wt };
    const trust = await tk(['config', 'trust'], inWt);
    expect(trust.code).toBe(0);
    expect(trust.stdout).toContain('keys now set from it: ssh_user, vm_cpus.');
    const show = await tk(['config', '--json'], inWt);
    expect(JSON.parse(show.stdout).data.config).toMatchObject({ vm_cpus: 2, ssh_user: 'trusted', github_hosts: [] });
    expect(show.stderr).toContain(`Ignored github_hosts from ${join(w.wt, '.tachikoma.toml')} (line 2): only your own config file may set this key, even after \`tk config trust\``);
    writeFileSync(join(w.wt, 'README.md'), 'changed\n');
    const r = await tk(['pr', '--json'], inWt);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tk pr will not push to "git@github.example.com:team/myapp.git"');
    expect(r.stderr).toContain('add its host name to github_hosts in your own config (tk config edit)');
    expect(git(w.wt, 'status', '--porcelain')).toBe(' M README.md\n?? .tachikoma.toml\n');

    // the user's own config: listed by tk config show, and validated with file:line
    writeFileSync(join(w.env.TK_HOME, 'config.toml'), 'github_hosts = ["github.example.com"]\n');
    const text = await tk(['config'], inWt);
    expect(text.stdout).toContain('github_hosts: ["github.example.com"]');
    writeFileSync(join(w.env.TK_HOME, 'config.toml'), '\ngithub_hosts = ["github.example.com:8443"]\n');
    const bad = await tk(['config'], inWt);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`Invalid config ${join(w.env.TK_HOME, 'config.toml')}:2: github_hosts entry "github.example.com:8443" must be a host name only (no scheme or port)`);
  });
});
