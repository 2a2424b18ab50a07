import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkoutOf, readScriptInside } from '../../src/adapters/repo-files.js';

const root = mkdtempSync(join(tmpdir(), 'tk-rf-'));
const repo = join(root, 'repo');
const secret = join(root, 'secret.txt');
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(repo, 'scripts'), { recursive: true });
mkdirSync(join(repo, '.git'));
writeFileSync(secret, 'AWS_SECRET=hunter2\n');
writeFileSync(join(repo, 'scripts', 'ok.sh'), 'echo ok\n');
symlinkSync(secret, join(repo, 'scripts', 'evil.sh'));
symlinkSync(root, join(repo, 'up'));
symlinkSync('ok.sh', join(repo, 'scripts', 'inner-link.sh'));
execFileSync('mkfifo', [join(repo, 'scripts', 'fifo.sh')]);

describe('readScriptInside', () => {
  it('reads a regular file (and an in-repo symlink) inside the repository', async () => {
    expect(readScriptInside(join(repo, 'scripts', 'ok.sh'), repo)).toBe('echo ok\n');
    expect(readScriptInside(join(repo, 'scripts', 'inner-link.sh'), repo)).toBe('echo ok\n');
  });
  it('refuses a symlink or symlinked directory leading out of the repository', async () => {
    expect(() => readScriptInside(join(repo, 'scripts', 'evil.sh'), repo)).toThrow(/outside .*tk does not read it/);
    expect(() => readScriptInside(join(repo, 'up', 'secret.txt'), repo)).toThrow(/outside .*tk does not read it/);
  });
  it('refuses non-regular files without blocking, and missing ones with a hint', async () => {
    expect(() => readScriptInside(join(repo, 'scripts', 'fifo.sh'), repo)).toThrow(/not a regular file/);
    expect(() => readScriptInside(join(repo, 'nope.sh'), repo)).toThrow(expect.objectContaining({ hint: expect.stringMatching(/provision_scripts/) }));
  });
  it('the containment root is the checkout that lexically contains the script', () => {
    expect(checkoutOf(join(repo, 'scripts', 'evil.sh'))).toBe(repo);
    expect(checkoutOf(join(repo, 'up', 'secret.txt'))).toBe(repo);
    expect(checkoutOf(secret)).toBeNull();
  });
  it('global (user) scripts may live anywhere', async () => {
    expect(readScriptInside(secret, null)).toMatch(/hunter2/);
  });
});

describe('host files: provisioning scripts', () => {
  it('a repository script symlinked to a host secret is reported, not read into the VM', async () => {
    const { createHostFiles } = await import('../../src/adapters/host-files.js');
    const { tkPaths } = await import('../../src/adapters/paths.js');
    const host = createHostFiles(tkPaths({ TK_HOME: join(root, 'tkhome'), HOME: root }), { HOME: root });
    const r = host.readScripts([join(repo, 'scripts', 'ok.sh'), join(repo, 'scripts', 'evil.sh'), join(repo, 'scripts', 'fifo.sh'), join(repo, 'gone.sh')]);
    expect(r.scripts.map((s) => s.content)).toEqual(['echo ok\n']);
    expect(JSON.stringify(r)).not.toMatch(/hunter2/);
    expect(r.missing[0]).toMatch(/evil\.sh \(.*outside/);
    expect(r.missing[1]).toMatch(/fifo\.sh \(.*not a regular file/);
    expect(r.missing[2]).toBe(join(repo, 'gone.sh'));
  });
});
