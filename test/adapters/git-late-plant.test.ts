import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { GitCli } from '../../src/adapters/git.js';

// Regression: a long-lived process (dashboard, MCP server) keeps one GitCli; caching the driver
// overrides per directory lets a guest plant a driver after the first call.
it('a driver planted after the first call is not run by a long-lived adapter', async () => {
  const root = mkdtempSync(join(tmpdir(), 'probe-'));
  const repo = join(root, 'repo');
  const marks = join(root, 'marks');
  mkdirSync(marks);
  mkdirSync(repo);
  const sh = (a: string[]) => execFileSync('git', a, { cwd: repo, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
  sh(['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, 'a.txt'), 'a\n');
  sh(['add', '.']);
  sh(['commit', '-qm', 'i']);
  const git = new GitCli();
  await git.changes(repo);
  execFileSync('git', ['status'], { cwd: repo });
  // guest plants a driver now
  sh(['config', 'filter.late.clean', `touch ${join(marks, 'late-clean')}; cat`]);
  sh(['config', 'diff.late.textconv', `touch ${join(marks, 'late-textconv')}; cat`]);
  writeFileSync(join(repo, '.gitattributes'), '*.txt filter=late diff=late\n');
  writeFileSync(join(repo, 'a.txt'), 'b\n');
  const st = statSync(join(repo, '.git', 'index'));
  utimesSync(join(repo, 'a.txt'), st.atime, st.mtime);
  // make the index racy-clean check need a clean filter run
  await git.changes(repo);
  await git.changes(repo);
  expect(readdirSync(marks)).toEqual([]);
});
