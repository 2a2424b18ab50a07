// The VMs can write the worktree: a repository config file may be a FIFO (reading it would block
// every tk command run there), a symlink to a host file, or huge. tk reads only small regular files.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, readRepoFile } from '../../src/adapters/config-loader.js';

const root = mkdtempSync(join(tmpdir(), 'tk-cfgfiles-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function repo(name: string): string {
  const p = join(root, name);
  mkdirSync(p);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: p });
  return p;
}
const env = (h: string) => ({ ...process.env, TK_HOME: join(root, h) });

describe('repository config files', () => {
  it('a FIFO is ignored with a warning instead of blocking', async () => {
    const r = repo('fifo');
    execFileSync('mkfifo', [join(r, '.tachikoma.toml')]);
    const c = await loadConfig({ cwd: r, env: env('h1') });
    expect(c.warnings.join('\n')).toMatch(/\.tachikoma\.toml is not a regular file \(a special file\)/);
    expect(readRepoFile(join(r, '.tachikoma.toml')).text).toBeNull();
  });
  it('a symlink to a host file is not read', async () => {
    const r = repo('link');
    const secret = join(root, 'secret.toml');
    writeFileSync(secret, 'vm_cpus = 7\n');
    symlinkSync(secret, join(r, '.tachikoma.local.toml'));
    const c = await loadConfig({ cwd: r, env: env('h2') });
    expect(c.config.vm_cpus).not.toBe(7);
    expect(c.warnings.join('\n')).toMatch(/\.tachikoma\.local\.toml is not a regular file \(a symlink\)/);
  });
  it('an oversized file is ignored; a normal one is read', async () => {
    const r = repo('big');
    writeFileSync(join(r, '.tachikoma.toml'), `vm_cpus = 3\n#${'x'.repeat(1024 * 1024)}\n`);
    expect((await loadConfig({ cwd: r, env: env('h3') })).warnings.join('\n')).toMatch(/larger than/);
    writeFileSync(join(r, '.tachikoma.toml'), 'vm_cpus = 3\n');
    expect((await loadConfig({ cwd: r, env: env('h3') })).config.vm_cpus).toBe(3);
  });
});
