// The guest can write the repository's .git (it is shared read-write), including the metadata of
// linked worktrees (.git/worktrees/<id>/gitdir, HEAD). `git worktree list` takes a linked
// worktree's path from that file, so a guest could make "the existing worktree of branch X" any
// host directory, and a later `tk spawn X` would mount it into a VM. tk must only reuse a
// worktree whose own `.git` file points back into this repository.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GitCli } from '../../src/adapters/git.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'tk-wtredir-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const repo = join(root, 'repo');
const secrets = join(root, 'home', '.ssh');
const sh = (cwd: string, ...a: string[]) =>
  execFileSync('git', a, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });

describe('ensureWorktree never reuses a worktree path the guest redirected', () => {
  mkdirSync(repo);
  mkdirSync(secrets, { recursive: true });
  writeFileSync(join(secrets, 'id_ed25519'), 'PRIVATE KEY');
  sh(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'f'), 'x');
  sh(repo, 'add', 'f');
  sh(repo, 'commit', '-qm', 'i');
  const git = new GitCli();

  it('a genuine linked worktree is reused', async () => {
    const a = await git.ensureWorktree({ mainRoot: repo, repoName: 'repo', branch: 'genuine' });
    const b = await git.ensureWorktree({ mainRoot: repo, repoName: 'repo', branch: 'genuine' });
    expect(b.created).toBe(false);
    expect(realpathSync(b.path)).toBe(realpathSync(a.path));
  });

  it('planted worktree metadata pointing at a host directory is refused, not mounted', async () => {
    // What a guest can do with write access to .git only:
    const meta = join(repo, '.git', 'worktrees', 'evil');
    mkdirSync(meta, { recursive: true });
    writeFileSync(join(meta, 'gitdir'), `${join(secrets, '.git')}\n`);
    writeFileSync(join(meta, 'HEAD'), 'ref: refs/heads/victim\n');
    writeFileSync(join(meta, 'commondir'), '../..\n');
    sh(repo, 'branch', 'victim');
    expect((await git.listWorktrees(repo)).some((w) => w.branch === 'victim' && w.path === secrets)).toBe(true);
    let path: string | null = null;
    try {
      path = (await git.ensureWorktree({ mainRoot: repo, repoName: 'repo', branch: 'victim' })).path;
    } catch (e) {
      expect(String((e as Error).message)).toMatch(/not a genuine worktree|does not point back/);
      return;
    }
    expect(path).not.toBe(secrets);
    expect(realpathSync(path)).not.toBe(realpathSync(secrets));
  });
});
