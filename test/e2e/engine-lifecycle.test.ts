// The whole lifecycle against tart-sim: spawn, exec, shared worktree both ways, git in the guest,
// list, halt, spawn again, destroy; a malicious branch name; 10 parallel spawns; SIGKILLed spawns.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { branchSlug } from '../../src/core/naming.js';
import { git } from '../helpers/git-repo.js';
import { spawnPty } from '../helpers/pty.js';
import { TK, e2eWorld, ensureBuilt, type E2eWorld } from './engine-helpers.js';

beforeAll(() => ensureBuilt(), 120_000);

describe('tk against tart-sim', () => {
  let w: E2eWorld;
  beforeAll(() => {
    w = e2eWorld();
  });
  afterAll(async () => {
    await w.cleanup();
  }, 60_000);

  it('spawn, exec, shared worktree, git, list, halt, spawn again, destroy', async () => {
    const s = await w.tk(['spawn', 'feat/x', '--no-interactive', '--json']);
    expect(s.stderr).not.toMatch(/^error/m);
    expect(s.code).toBe(0);
    const doc = JSON.parse(s.stdout) as { data: { kind: string; name: string; worktree: string } };
    expect(doc.data.kind).toBe('created');
    const { name, worktree } = doc.data;
    expect(name).toBe('tachikoma-myrepo-feat-x');

    const h = await w.tk(['exec', name, '--', 'hostname']);
    expect(h).toMatchObject({ code: 0, stdout: 'feat-x\n' });

    const rc = await w.tk(['exec', name, '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(rc).toMatchObject({ code: 7, stdout: 'out\n', stderr: 'err\n' });

    const q = await w.tk(['exec', name, '--', 'printf', '%s|', 'a b', "it's", '$HOME', '`id`']);
    expect(q.stdout).toBe("a b|it's|$HOME|`id`|");

    await w.tk(['exec', name, '--', 'sh', '-c', 'echo from-guest > guest.txt']);
    expect(readFileSync(join(worktree, 'guest.txt'), 'utf8')).toBe('from-guest\n');
    writeFileSync(join(worktree, 'host.txt'), 'from-host\n');
    expect((await w.tk(['exec', name, '--', 'cat', 'host.txt'])).stdout).toBe('from-host\n');

    const g = await w.tk(['exec', name, '--', 'sh', '-c', 'git add guest.txt && git commit -qm "from guest" && git rev-parse --abbrev-ref HEAD']);
    expect(g).toMatchObject({ code: 0, stdout: 'feat/x\n' });
    expect(git(worktree, 'log', '-1', '--format=%s')).toBe('from guest\n');
    expect(git(w.root, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main\n');

    const l = await w.tk(['list', '--json']);
    const views = JSON.parse(l.stdout) as Array<{ name: string; status: string; branch: string; worktree: string }>;
    expect(views.find((v) => v.name === name)).toMatchObject({ status: 'running', branch: 'feat/x', worktree });

    expect((await w.tk(['suspend', name])).stderr).toContain('Tart cannot suspend Linux VMs');

    const halt = await w.tk(['halt', name]);
    expect(halt.code).toBe(0);
    expect(w.tart(['list', '--format', 'json'])).toMatch(/"State" : "stopped"/);
    expect((await w.tk(['exec', name, '--', 'true'])).stderr).toContain(`tk resume ${name}`);

    const again = await w.tk(['spawn', 'feat/x', '--no-interactive', '--json']);
    expect(JSON.parse(again.stdout).data.kind).toBe('started');
    const m = await w.tk(['exec', name, '--', 'sh', '-c', 'mountpoint -q /mnt/tachikoma && cat host.txt && hostname']);
    expect(m).toMatchObject({ code: 0, stdout: 'from-host\nfeat-x\n' });

    expect((await w.tk(['destroy', name])).code).toBe(2);
    const d = await w.tk(['destroy', name, '--force', '--json']);
    expect(d.code).toBe(0);
    const rep = JSON.parse(d.stdout).data as { vmDeleted: boolean; worktreeRemoved: boolean; worktreeKeptReason: string };
    expect(rep.vmDeleted).toBe(true);
    expect(rep.worktreeRemoved).toBe(false);
    expect(rep.worktreeKeptReason).toContain('uncommitted');
    expect(JSON.parse((await w.tk(['list', '--json'])).stdout)).toEqual([]);
    expect(existsSync(worktree)).toBe(true);
  }, 120_000);

  it('a malicious branch name never reaches a shell', async () => {
    const pwn = join(w.parent, 'pwned');
    const branch = `x;$(touch${'${IFS}'}${pwn})&'"\`id\`|<ü>`;
    git(w.root, 'branch', branch);
    const s = await w.tk(['spawn', branch, '--no-interactive', '--json']);
    expect(s.code).toBe(0);
    const { name } = JSON.parse(s.stdout).data as { name: string };
    const h = await w.tk(['exec', name, '--', 'sh', '-c', 'hostname; git rev-parse --abbrev-ref HEAD']);
    expect(h.stdout).toBe(`${branchSlug(branch)}\n${branch}\n`);
    expect(branchSlug(branch)).toMatch(/^x-touch-ifs-.*-pwned-id$/);
    expect(existsSync(pwn)).toBe(false);
    expect((await w.tk(['destroy', name, '--force'])).code).toBe(0);
  }, 120_000);
});

describe('enter', () => {
  let w: E2eWorld;
  beforeAll(() => {
    w = e2eWorld();
  });
  afterAll(async () => {
    await w.cleanup();
  }, 60_000);

  it('opens a login shell in the worktree over OpenSSH (TERM fallback, connection reuse, exit code kept)', async () => {
    const s = await w.tk(['spawn', 'feat/enter', '--no-interactive', '--json']);
    expect(s.code).toBe(0);
    const { name } = JSON.parse(s.stdout).data as { name: string };
    for (let i = 0; i < 2; i++) {
      const t0 = Date.now();
      const p = spawnPty(TK, ['enter', name], { env: { ...w.env, TERM: 'tk-no-such-term' }, cwd: w.root });
      await p.waitFor(/\$ $/m, 20_000).catch(() => undefined);
      p.write('echo "T=$TERM P=$(pwd) H=$(hostname) C=$TACHIKOMA"; exit 3\r');
      await p.waitFor('H=feat-enter', 20_000);
      expect(p.output()).toContain('T=xterm-256color P=/mnt/tachikoma/code H=feat-enter C=1');
      expect(await p.exited()).toBe(3);
      if (i === 1) expect(Date.now() - t0).toBeLessThan(15_000);
    }
    expect(w.closeMasters()).toBeGreaterThan(0);
  }, 90_000);
});

describe('concurrency and interruption', () => {
  let w: E2eWorld;
  beforeAll(() => {
    w = e2eWorld();
  });
  afterAll(async () => {
    await w.cleanup();
  }, 60_000);

  it('10 parallel spawns all succeed with their own VM', async () => {
    const branches = Array.from({ length: 10 }, (_, i) => `p${i}`);
    const results = await Promise.all(branches.map((b) => w.tk(['spawn', b, '--no-interactive', '--json'])));
    for (const r of results) expect(r.stderr.match(/^error.*/m)?.[0] ?? '').toBe('');
    const names = results.map((r) => (JSON.parse(r.stdout) as { data: { name: string } }).data.name);
    expect(new Set(names).size).toBe(10);
    const hosts = await Promise.all(names.map((n) => w.tk(['exec', n, '--', 'hostname'])));
    expect(hosts.map((h) => h.stdout.trim())).toEqual(branches);
    const views = JSON.parse((await w.tk(['list', '--json'])).stdout) as Array<{ status: string }>;
    expect(views.filter((v) => v.status === 'running')).toHaveLength(10);
    for (const n of names) expect((await w.tk(['destroy', n, '--force'])).code).toBe(0);
  }, 180_000);

  it('spawns SIGKILLed at random moments are finished by the next spawn', async () => {
    for (let i = 0; i < 5; i++) {
      const branch = `k${i}`;
      const child = w.tkChild(['spawn', branch, '--no-interactive']);
      await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 900)));
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const again = await w.tk(['spawn', branch, '--no-interactive', '--json']);
      expect(again.stderr.match(/^error.*/m)?.[0] ?? '').toBe('');
      const { name } = JSON.parse(again.stdout).data as { name: string };
      const h = await w.tk(['exec', name, '--', 'sh', '-c', 'hostname; mountpoint -q /mnt/tachikoma && echo mounted']);
      expect(h.stdout).toBe(`${branch}\nmounted\n`);
      const st = JSON.parse((await w.tk(['status', name, '--json'])).stdout);
      expect(st.data.provision_result).toBe('ok');
    }
    const tartVms = JSON.parse(w.tart(['list', '--format', 'json'])) as Array<{ Name: string; Source: string }>;
    expect(tartVms.filter((v) => v.Source === 'local').map((v) => v.Name).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4'].map((b) => `tachikoma-myrepo-${b}`));
  }, 240_000);
});
