// A guest can make host git block forever: `include.path` naming a FIFO it created in the shared
// worktree (git opens the FIFO and waits for a writer). Host git calls must time out with a clear
// error instead of hanging the dashboard or a spawn.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { GitCli } from '../../src/adapters/git.js';

const root = mkdtempSync(join(tmpdir(), 'tk-gitto-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('a planted FIFO include makes git calls fail after the timeout, with a hint', async () => {
  const repo = join(root, 'repo');
  mkdirSync(repo);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  writeFileSync(join(repo, 'f'), 'x');
  execFileSync('mkfifo', [join(repo, 'pipe')]);
  execFileSync('git', ['config', 'include.path', join(repo, 'pipe')], { cwd: repo });
  const git = new GitCli({ timeoutMs: 1500 });
  const t0 = Date.now();
  await expect(git.changes(repo)).rejects.toMatchObject({
    code: 'git',
    message: expect.stringMatching(/did not finish within 2 s/),
    hint: expect.stringMatching(/config --list --show-origin/),
  });
  expect(Date.now() - t0).toBeLessThan(10_000);
});
