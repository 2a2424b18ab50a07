// A linked worktree is shared read-write with its VM, including its `.git` *file*. A guest can
// rewrite that file to point at another repository on the host; tk run later from inside that
// worktree (cd "$(tk cd)") must not then treat the other repository as "this repo" (it would
// name, create and mount worktrees of it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRepoRoots } from '../../src/adapters/config-loader.js';
import { GitCli } from '../../src/adapters/git.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'tk-dotgit-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sh = (cwd: string, ...a: string[]) =>
  execFileSync('git', a, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
function repo(name: string): string {
  const p = join(root, name);
  mkdirSync(p);
  sh(p, 'init', '-q', '-b', 'main');
  writeFileSync(join(p, 'f'), name);
  sh(p, 'add', 'f');
  sh(p, 'commit', '-qm', 'i');
  return p;
}

describe('a linked worktree whose .git file was rewritten by the guest', () => {
  const victim = repo('victim');
  const other = repo('other');
  sh(victim, 'worktree', 'add', '-q', '-b', 'vwt', join(root, 'victim-wt'));
  const shared = repo('shared');
  const wt = join(root, 'shared-feat');
  sh(shared, 'worktree', 'add', '-q', '-b', 'feat', wt);
  const git = new GitCli();

  it('is still resolved to its own repository when untouched', async () => {
    expect((await git.repoInfo(wt)).mainRoot).toBe(shared);
    expect(findRepoRoots(wt)).toMatchObject({ worktreeRoot: wt, mainRoot: shared });
  });

  it.each([
    ['another repository\'s .git directory', () => join(victim, '.git')],
    ['another repository\'s linked worktree metadata', () => join(victim, '.git', 'worktrees', 'victim-wt')],
    ['a fresh bare-ish repository', () => join(other, '.git')],
  ])('pointing at %s is refused, never taken as the main repository', async (_what, target) => {
    writeFileSync(join(wt, '.git'), `gitdir: ${target()}\n`);
    try {
      let main: string | null = null;
      try {
        main = (await git.repoInfo(wt)).mainRoot;
      } catch (e) {
        expect(String((e as Error).message)).toMatch(/does not point back|not a genuine/);
      }
      if (main !== null) expect(main).toBe(shared);
      const roots = findRepoRoots(wt);
      expect(roots === null || (roots.mainRoot !== victim && roots.mainRoot !== other)).toBe(true);
    } finally {
      writeFileSync(join(wt, '.git'), `gitdir: ${join(shared, '.git', 'worktrees', 'shared-feat')}\n`);
    }
  });
});
