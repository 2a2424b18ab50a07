import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync, appendFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GitCli } from '../../src/adapters/git.js';
import { TkError } from '../../src/core/errors.js';
import { git, makeRepo, tempDir } from '../helpers/git-repo.js';

/** A script that records its name in `markers` when run. */
function planter(markers: string, dir: string) {
  return (name: string): string => {
    const p = join(dir, `evil-${name}`);
    writeFileSync(p, `#!/bin/sh\ntouch '${join(markers, name)}'\ncat\n`);
    chmodSync(p, 0o755);
    return p;
  };
}

/** Plants every program-running git knob in the repo (as a guest could). Returns the marker dir. */
function plantEverything(root: string): string {
  const markers = tempDir('tk-markers-');
  const scripts = tempDir('tk-evil-');
  const evil = planter(markers, scripts);
  const hooks = join(root, '.git', 'hooks');
  for (const h of ['post-checkout', 'pre-commit', 'post-index-change', 'reference-transaction', 'fsmonitor-watchman', 'pre-auto-gc']) {
    writeFileSync(join(hooks, h), `#!/bin/sh\ntouch '${join(markers, 'hook-' + h)}'\n`);
    chmodSync(join(hooks, h), 0o755);
  }
  const hooksPath = join(scripts, 'hooks');
  mkdirSync(hooksPath);
  writeFileSync(join(hooksPath, 'post-checkout'), `#!/bin/sh\ntouch '${join(markers, 'hookspath')}'\n`);
  chmodSync(join(hooksPath, 'post-checkout'), 0o755);
  const included = join(scripts, 'included.config');
  writeFileSync(included, `[filter "inc"]\n\tclean = ${evil('inc-clean')}\n\tsmudge = ${evil('inc-smudge')}\n[core]\n\tfsmonitor = ${evil('inc-fsmonitor')}\n`);
  const cfg = [
    ['core.hooksPath', hooksPath],
    ['core.fsmonitor', evil('fsmonitor')],
    ['core.sshCommand', evil('sshcommand')],
    ['core.pager', evil('pager')],
    ['core.editor', evil('editor')],
    ['core.askPass', evil('askpass')],
    ['credential.helper', `!${evil('credential')}`],
    ['diff.external', evil('diff-external')],
    ['diff.evil.textconv', evil('textconv')],
    ['diff.evil.command', evil('diff-command')],
    ['merge.evil.driver', evil('merge-driver')],
    ['filter.evil.clean', evil('clean')],
    ['filter.evil.smudge', evil('smudge')],
    ['filter.evil.required', 'true'],
    ['filter.proc.process', evil('process')],
    ['filter.we=ird.smudge', evil('weird-smudge')],
    ['filter.we=ird.clean', evil('weird-clean')],
    ['log.showSignature', 'true'],
    ['gpg.program', evil('gpg')],
    ['include.path', included],
    ['status.submoduleSummary', 'true'],
  ];
  for (const [k, v] of cfg) git(root, 'config', '--add', k!, v!);
  return markers;
}

describe('GitCli', () => {
  beforeAll(() => {
    process.env['TK_HOME'] = tempDir('tk-home-'); // worktree locks live there
  });

  it('reports the main repo from a linked worktree, branch, and detached HEAD', async () => {
    const { parent, root } = makeRepo('app');
    git(root, 'worktree', 'add', '-q', '-b', 'feat/x', join(parent, 'wt'));
    const g = new GitCli();
    const info = await g.repoInfo(join(parent, 'wt'));
    expect(info).toEqual({ mainRoot: root, worktreeRoot: join(parent, 'wt'), repoName: 'app', branch: 'feat/x' });
    git(root, 'checkout', '-q', '--detach');
    expect((await g.repoInfo(root)).branch).toBeNull();
    await expect(g.currentBranch(root)).rejects.toThrow(/detached/);
    await expect(g.repoInfo(tempDir())).rejects.toThrow(/Not inside a git repository/);
  });

  it('ensureWorktree: reuses the branch worktree (even main), creates branch + slugged dir otherwise', async () => {
    const { parent, root } = makeRepo('app');
    const g = new GitCli();
    expect(await g.ensureWorktree({ mainRoot: root, repoName: 'app', branch: 'main' })).toEqual({ path: root, created: false, branchCreated: false });
    const a = await g.ensureWorktree({ mainRoot: root, repoName: 'app', branch: 'feature/x' });
    expect(a.created).toBe(true);
    expect(a.branchCreated).toBe(true);
    expect(a.path.startsWith(join(parent, 'app-feature-x-'))).toBe(true);
    expect(readdirSync(parent).filter((d) => d.startsWith('app-')).length).toBe(1); // not nested
    expect((await g.ensureWorktree({ mainRoot: root, repoName: 'app', branch: 'feature/x' })).path).toBe(a.path);
    git(root, 'branch', 'existing');
    const b = await g.ensureWorktree({ mainRoot: root, repoName: 'app', branch: 'existing', worktreeDir: join(parent, 'wts') });
    expect(b).toEqual({ path: join(parent, 'wts', 'app-existing'), created: true, branchCreated: false });
    expect(await g.branches(root)).toEqual(expect.arrayContaining(['main', 'feature/x', 'existing']));
    await expect(g.ensureWorktree({ mainRoot: root, repoName: 'app', branch: 'bad..name' })).rejects.toThrow(/not a valid git branch name/);
    // A directory in the way: clear error, no branch left behind.
    mkdirSync(join(parent, 'app-blocked'));
    await expect(g.ensureWorktree({ mainRoot: root, repoName: 'app', branch: 'blocked' })).rejects.toThrow(/already exists/);
    expect(await g.branches(root)).not.toContain('blocked');
  });

  it('serves hostile but valid branch names', async () => {
    const { root } = makeRepo('app');
    const g = new GitCli();
    const names = ['a;touch${IFS}pwned', "it's\"quoted\"$(x)`y`|&<>", 'ünï/cødé-名前', 'x'.repeat(250), 'feat/--upload-pack=evil'];
    for (const n of names) {
      const w = await g.ensureWorktree({ mainRoot: root, repoName: 'app', branch: n });
      expect(w.created).toBe(true);
      expect((await g.repoInfo(w.path)).branch).toBe(n);
      expect(await g.unpushedCommits(w.path)).toBe(0);
      await g.removeWorktree(root, w.path);
      expect(existsSync(w.path)).toBe(false);
    }
    // A leading dash: git refuses to create it (tk reports git's reason) but serves one that exists.
    await expect(g.ensureWorktree({ mainRoot: root, repoName: 'app', branch: '-dash' })).rejects.toThrow(TkError);
    git(root, 'update-ref', 'refs/heads/-dash', 'HEAD');
    const d = await g.ensureWorktree({ mainRoot: root, repoName: 'app', branch: '-dash' });
    expect((await g.repoInfo(d.path)).branch).toBe('-dash');
    expect(existsSync(join(root, '..', 'pwned'))).toBe(false);
  });

  it('parallel ensureWorktree calls: 10 branches all succeed (git races inside worktree add), one branch gets one worktree', async () => {
    const { root } = makeRepo('app');
    const g = new GitCli();
    const res = await Promise.all(Array.from({ length: 10 }, (_, i) => g.ensureWorktree({ mainRoot: root, repoName: 'app', branch: `par/${i}` })));
    expect(new Set(res.map((r) => r.path)).size).toBe(10);
    expect((await g.listWorktrees(root)).length).toBe(11);
    // Two spawns of one new branch at once agree on one worktree.
    const same = await Promise.all([0, 1, 2].map(() => new GitCli().ensureWorktree({ mainRoot: root, repoName: 'app', branch: 'same' })));
    expect(new Set(same.map((r) => r.path)).size).toBe(1);
    expect(same.filter((r) => r.created)).toHaveLength(1);
  });

  it('changes, unpushed commits, refuses to remove the main checkout', async () => {
    const { root } = makeRepo('app');
    const g = new GitCli();
    const w = await g.ensureWorktree({ mainRoot: root, repoName: 'app', branch: 'work' });
    expect(await g.changes(w.path)).toEqual({ changed: 0, ahead: 0, behind: 0 });
    writeFileSync(join(w.path, 'README.md'), 'changed\n');
    writeFileSync(join(w.path, 'new.txt'), 'new\n');
    expect((await g.changes(w.path)).changed).toBe(2);
    git(w.path, 'commit', '-qam', 'c1');
    expect(await g.unpushedCommits(w.path)).toBe(1);
    await expect(g.removeWorktree(root, w.path)).rejects.toThrow(/worktree remove failed/);
    await expect(g.removeWorktree(root, root)).rejects.toThrow(/main checkout/);
    await g.removeWorktree(root, w.path, { force: true });
    expect(existsSync(w.path)).toBe(false);
  });

  it('runs nothing a guest planted (hooks, fsmonitor, drivers, textconv, pager, editor, ssh, credentials, gpg, includes, env)', async () => {
    const { parent, root } = makeRepo('app');
    git(root, 'branch', 'side');
    for (const f of ['a.txt', 'b.p', 'c.w', 'd.i']) writeFileSync(join(root, f), 'x\n');
    writeFileSync(join(root, '.gitattributes'), '*.txt filter=evil diff=evil merge=evil\n*.p filter=proc\n*.w filter=we=ird\n*.i filter=inc\n');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'attributes');
    const markers = plantEverything(root);
    const before = readdirSync(markers);
    // Make files racily dirty so that status must re-read (and would clean-filter) them.
    for (const f of ['a.txt', 'b.p', 'c.w', 'd.i']) {
      appendFileSync(join(root, f), 'more\n');
      utimesSync(join(root, f), new Date(), new Date(Date.now() + 5000));
    }
    const hostileEnv = {
      ...process.env,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'core.fsmonitor',
      GIT_CONFIG_VALUE_0: join(markers, '..', 'nope'),
      GIT_CONFIG_PARAMETERS: `'core.pager'='touch ${join(markers, 'params')}'`,
      GIT_EXTERNAL_DIFF: planter(markers, tempDir())('env-external-diff'),
      GIT_SSH_COMMAND: planter(markers, tempDir())('env-ssh'),
      GIT_DIR: join(parent, 'nowhere'),
    };
    const g = new GitCli({ env: hostileEnv });
    await g.repoInfo(root);
    await g.listWorktrees(root);
    await g.changes(root);
    await g.unpushedCommits(root);
    await g.branches(root);
    const w = await g.ensureWorktree({ mainRoot: root, repoName: 'app', branch: 'side' });
    const n = await g.ensureWorktree({ mainRoot: root, repoName: 'app', branch: 'newbranch' });
    await g.changes(w.path);
    await g.removeWorktree(root, n.path, { force: true });
    // Without --force, git checks cleanliness with an internal `git status` child: still nothing runs.
    await g.removeWorktree(root, w.path).catch(() => undefined);
    expect(before).toEqual([]);
    expect(readdirSync(markers)).toEqual([]);

    // A driver planted after tk's first call is neutralised too (driver config is never cached).
    const late = planter(markers, tempDir())('late-clean');
    git(root, 'config', 'filter.late.clean', late);
    writeFileSync(join(root, '.git', 'info', 'attributes'), '*.md filter=late\n');
    appendFileSync(join(root, 'README.md'), 'more\n');
    utimesSync(join(root, 'README.md'), new Date(), new Date(Date.now() + 5000));
    await g.changes(root);
    expect(readdirSync(markers)).toEqual([]);

    // The plants are live: plain git runs them (so this test can fail).
    git(root, 'status', '--porcelain');
    expect(readdirSync(markers).length).toBeGreaterThan(0);
  });
});
