import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readScriptInside } from '../../src/adapters/repo-files.js';

const root = mkdtempSync(join(tmpdir(), 'tk-rf-'));
const repo = join(root, 'repo');
const secret = join(root, 'secret.txt');
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(repo, 'scripts'), { recursive: true });
writeFileSync(secret, 'AWS_SECRET=hunter2\n');
writeFileSync(join(repo, 'scripts', 'ok.sh'), 'echo ok\n');
symlinkSync(secret, join(repo, 'scripts', 'evil.sh'));
symlinkSync(root, join(repo, 'up'));
symlinkSync('ok.sh', join(repo, 'scripts', 'inner-link.sh'));
execFileSync('mkfifo', [join(repo, 'scripts', 'fifo.sh')]);

describe('readScriptInside', () => {
  it('reads a regular file (and an in-repo symlink) inside the repository', async () => {
    expect(await readScriptInside(join(repo, 'scripts', 'ok.sh'), repo)).toBe('echo ok\n');
    expect(await readScriptInside(join(repo, 'scripts', 'inner-link.sh'), repo)).toBe('echo ok\n');
  });
  it('refuses a symlink or symlinked directory leading out of the repository', async () => {
    await expect(readScriptInside(join(repo, 'scripts', 'evil.sh'), repo)).rejects.toThrow(/outside the repository/);
    await expect(readScriptInside(join(repo, 'up', 'secret.txt'), repo)).rejects.toThrow(/outside the repository/);
  });
  it('refuses non-regular files without blocking, and missing ones with a hint', async () => {
    await expect(readScriptInside(join(repo, 'scripts', 'fifo.sh'), repo)).rejects.toThrow(/not a regular file/);
    await expect(readScriptInside(join(repo, 'nope.sh'), repo)).rejects.toMatchObject({ hint: expect.stringMatching(/provision_scripts/) });
  });
  it('global (user) scripts may live anywhere', async () => {
    expect(await readScriptInside(secret, null)).toMatch(/hunter2/);
  });
});
