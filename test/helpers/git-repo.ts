// Temporary git repositories for tests (plain git, run directly by the test).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.invalid',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function tempDir(prefix = 'tk-test-'): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/** A repo `<parent>/<name>` with one commit on `main`. */
export function makeRepo(name = 'myrepo'): { parent: string; root: string } {
  const parent = tempDir();
  const root = join(parent, name);
  execFileSync('git', ['init', '-q', '-b', 'main', root], { env: GIT_ENV });
  writeFileSync(join(root, 'README.md'), 'hello\n');
  git(root, 'add', 'README.md');
  git(root, 'commit', '-q', '-m', 'init');
  return { parent, root };
}
