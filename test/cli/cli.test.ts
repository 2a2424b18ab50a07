import { appendFileSync, chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/main.js';
import type { VmRecord } from '../../src/core/model.js';
import { git, makeRepo, tempDir } from '../helpers/git-repo.js';
import { RECORDED_TART, tk } from './helpers.js';

const rec = (name: string, branch: string, over: Partial<VmRecord> = {}): VmRecord => ({
  name,
  repo: 'myapp',
  branch,
  worktree_path: `/src/myapp-${branch}`,
  created_at: '2026-03-01T08:00:00.000Z',
  last_used: '2026-03-02T09:30:00.000Z',
  status: 'running',
  ip: '10.1.2.3',
  ...over,
});

function world(records: VmRecord[] = []) {
  const home = tempDir();
  writeFileSync(join(home, 'state.json'), JSON.stringify({ version: 1, vms: records }, null, 2));
  const env = { PATH: process.env['PATH'], HOME: home, TK_HOME: home, TK_TART: RECORDED_TART };
  return { home, env, cwd: tempDir() };
}

function oneJson(stdout: string): unknown {
  return JSON.parse(stdout); // throws unless stdout is exactly one JSON document
}

const existing = COMMANDS.filter((c) => existsSync(fileURLToPath(new URL(`../../src/cli/commands/${c.name}.ts`, import.meta.url))));

describe('tk CLI', () => {
  it('-h works on every command (and aliases), exit 0, no JSON mixing', async () => {
    const w = world();
    expect(existing.map((c) => c.name)).toEqual(COMMANDS.map((c) => c.name)); // every command has its module
    for (const c of existing) {
      for (const word of [c.name, ...c.aliases]) {
        const r = await tk([word, '-h'], w);
        expect(r.code, word).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^Usage: tk ${c.name}`));
        expect((await tk([word, '--help'], w)).code).toBe(0);
      }
    }
    const top = await tk(['-h'], w);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toContain(c.name);
    expect((await tk(['--version'], w)).stdout).toMatch(/^tk \d+\.\d+\.\d+\n$/);
    expect(oneJson((await tk(['--version', '--json'], w)).stdout)).toMatchObject({ name: 'tk' });
  });

  it('usage errors exit 2 with the usage line; with --json one error document', async () => {
    const w = world();
    for (const argv of [['list', '--nope'], ['list', 'extra'], ['cd', 'a', 'b'], ['--bogus'], ['config', 'frobnicate'], ['logs', '-f', '--json'], ['list', '--repo'], ['status', '--', 'x']]) {
      const r = await tk(argv, w);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error: /);
    }
    const j = await tk(['list', '--nope', '--json'], w);
    expect(j.code).toBe(2);
    expect(oneJson(j.stdout)).toEqual({ code: 'usage', error: 'Unknown option --nope for tk list.', exit_code: 2, hint: expect.stringContaining('Usage: tk list'), success: false });
  });

  it('list: live state merged with tart (missing, untracked), --repo, --json single document', async () => {
    const w = world([rec('tachikoma-myapp-main', 'main'), rec('tachikoma-myapp-gone', 'gone', { status: 'stopped', ip: null }), rec('tachikoma-other-x', 'x', { repo: 'other' })]);
    const r = await tk(['list', '--json'], w);
    expect(r.code).toBe(0);
    const views = oneJson(r.stdout) as Array<Record<string, unknown>>;
    expect(views.map((v) => [v['name'], v['status'], v['tracked']])).toEqual([
      ['tachikoma-myapp-main', 'running', true],
      ['tachikoma-myapp-gone', 'missing', true],
      ['tachikoma-other-x', 'missing', true],
      ['tachikoma-stray-vm', 'stopped', false],
    ]);
    expect(Object.keys(views[0]!)).toEqual([...Object.keys(views[0]!)].sort());
    for (const k of ['name', 'repo', 'branch', 'status', 'ip', 'worktree', 'last_used']) expect(views[0]).toHaveProperty(k);
    expect(views[0]).toMatchObject({ ip: '10.1.2.3', disk_gb: 50, size_gb: 21, worktree: '/src/myapp-main' });
    expect(r.stderr).toBe('');

    const h = await tk(['ls', '--repo', 'myapp'], w);
    expect(h.stdout.split('\n')[0]).toMatch(/^NAME\s+REPO\s+BRANCH\s+STATUS\s+IP\s+LAST USED$/);
    expect(h.stdout).toContain('2026-03-02 09:30');
    expect(h.stdout).not.toContain('other');
    expect(h.stdout).toMatch(/tachikoma-myapp-gone\s+myapp\s+gone\s+missing\s+-/);

    // No args and not a TTY: the list.
    expect((await tk([], w)).stdout).toBe((await tk(['list'], w)).stdout);
  });

  it('list without tart: stored statuses and a warning on stderr, JSON intact', async () => {
    const w = world([rec('tachikoma-myapp-main', 'main')]);
    const r = await tk(['list', '--json'], { ...w, env: { ...w.env, TK_TART: join(w.home, 'no-such-tart') } });
    expect(r.code).toBe(0);
    expect((oneJson(r.stdout) as unknown[]).length).toBe(1);
    expect(r.stderr).toMatch(/warning: Cannot run tart/);
  });

  it('status and cd: explicit NAME, current branch (from a linked worktree: main repo name), not found', async () => {
    const { parent, root } = makeRepo('myapp');
    git(root, 'worktree', 'add', '-q', '-b', 'feature/x', join(parent, 'wt'));
    const w = world([rec('tachikoma-myapp-main', 'main'), rec('tachikoma-myapp-feature-x', 'feature/x', { worktree_path: join(parent, 'wt') })]);
    const s = await tk(['status', 'tachikoma-myapp-main', '--json'], w);
    expect(oneJson(s.stdout)).toMatchObject({ success: true, message: 'status', data: { name: 'tachikoma-myapp-main', status: 'running', branch: 'main' } });
    const cur = await tk(['status'], { ...w, cwd: join(parent, 'wt') });
    expect(cur.code).toBe(0);
    expect(cur.stdout).toMatch(/^Name: {6}tachikoma-myapp-feature-x$/m);
    expect(cur.stdout).toMatch(/^Status: {4}missing$/m);
    const cd = await tk(['cd'], { ...w, cwd: join(parent, 'wt') });
    expect(cd.stdout).toBe(`${join(parent, 'wt')}\n`);
    expect(oneJson((await tk(['cd', 'tachikoma-myapp-main', '--json'], w)).stdout)).toMatchObject({ data: { worktree: '/src/myapp-main' } });
    const nf = await tk(['status', 'nope', '--json'], w);
    expect(nf.code).toBe(1);
    expect(oneJson(nf.stdout)).toMatchObject({ success: false, code: 'vm', error: 'No VM named "nope".' });
    const outside = await tk(['cd'], w);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/Not inside a git repository/);
    git(root, 'checkout', '-q', '--detach');
    const det = await tk(['status'], { ...w, cwd: root });
    expect(det.code).toBe(1);
    expect(det.stderr).toMatch(/detached/);
  });

  it('logs: markers rendered, guest control sequences stripped, --raw, --json phases, missing log', async () => {
    const w = world([rec('tachikoma-myapp-main', 'main')]);
    mkdirSync(join(w.home, 'logs'));
    const log = join(w.home, 'logs', 'tachikoma-myapp-main.log');
    writeFileSync(log, '@@tk phase=boot event=start at=2026-03-02T09:30:00.000Z\nbooting \u001b]52;c;ZXZpbA==\u0007kernel\u001b[31m red\n@@tk phase=boot event=end result=ok at=2026-03-02T09:30:05.000Z ms=5000\n');
    const r = await tk(['logs', 'tachikoma-myapp-main'], w);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('── 09:30:00 boot started\nbooting kernel red\n── 09:30:05 boot ok (5000 ms)\n');
    expect((await tk(['logs', 'tachikoma-myapp-main', '--raw'], w)).stdout).toContain('\u001b]52');
    const j = oneJson((await tk(['logs', 'tachikoma-myapp-main', '--json'], w)).stdout) as { data: { phases: unknown[]; lines: string[] } };
    expect(j.data.phases).toEqual([
      { phase: 'boot', event: 'start', result: null, at: '2026-03-02T09:30:00.000Z', ms: null, msg: null },
      { phase: 'boot', event: 'end', result: 'ok', at: '2026-03-02T09:30:05.000Z', ms: 5000, msg: null },
    ]);
    expect(j.data.lines).toHaveLength(3);
    const missing = await tk(['logs', 'tachikoma-none'], w);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No log for tachikoma-none yet/);
  });

  it('logs -f follows appended lines until interrupted (exit 0)', async () => {
    const w = world([rec('tachikoma-myapp-main', 'main')]);
    mkdirSync(join(w.home, 'logs'));
    const log = join(w.home, 'logs', 'tachikoma-myapp-main.log');
    writeFileSync(log, 'first\npart');
    const ac = new AbortController();
    const p = tk(['logs', '-f', 'tachikoma-myapp-main'], { ...w, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 150));
    appendFileSync(log, 'ial\n@@tk phase=ssh event=end result=failed ms=3 msg=no route\n');
    await new Promise((r) => setTimeout(r, 1300));
    // The log (and its directory) going away does not end or crash the follower.
    rmSync(join(w.home, 'logs'), { recursive: true });
    await new Promise((r) => setTimeout(r, 1100));
    ac.abort();
    const r = await p;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('first\npartial\n── ssh failed (3 ms): no route\n');
  });

  it('config: show (json), trust and untrust change what applies', async () => {
    const { root } = makeRepo('myapp');
    writeFileSync(join(root, '.tachikoma.toml'), 'vm_cpus = 6\ncredential_command = "echo t"\nbogus = 1\n');
    const w = world();
    const show = await tk(['config', '--json'], { ...w, cwd: root });
    expect(show.code).toBe(0);
    const d = (oneJson(show.stdout) as { data: { config: Record<string, unknown>; trust: string } }).data;
    expect(d.config['vm_cpus']).toBe(6);
    expect(d.config['credential_command']).toBeNull();
    expect(d.trust).toBe('untrusted');
    expect(show.stderr).toMatch(/Unknown config key "bogus" in .*\.tachikoma\.toml \(line 3\)/);
    expect(show.stderr).toMatch(/Ignored credential_command/);
    const t = await tk(['config', 'trust'], { ...w, cwd: root });
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/keys now set from it: credential_command, vm_cpus/);
    expect((oneJson((await tk(['config', '--json'], { ...w, cwd: root })).stdout) as { data: { config: Record<string, unknown> } }).data.config['credential_command']).toBe('echo t');
    expect((await tk(['config', 'untrust'], { ...w, cwd: root })).code).toBe(0);
    expect((await tk(['config'], { ...w, cwd: root })).stdout).toMatch(/credential_command: -/);
    const bad = world();
    writeFileSync(join(bad.home, 'config.toml'), 'vm_cpus = 0\n');
    const e = await tk(['config'], bad);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/config\.toml:1: vm_cpus must be between 1 and 256, got 0/);
  });

  it('config --edit (and config edit) runs $EDITOR on the global file, then checks it', async () => {
    const w = world();
    const editor = join(w.home, 'ed.sh');
    writeFileSync(editor, '#!/bin/sh\nprintf "vm_cpus = 2\\n$TK_TEST_EXTRA" > "$1"\n');
    chmodSync(editor, 0o755);
    const ok = await tk(['config', '--edit', '--json'], { ...w, env: { ...w.env, EDITOR: editor } });
    expect(ok.code).toBe(0);
    expect(oneJson(ok.stdout)).toMatchObject({ success: true, data: { file: join(w.home, 'config.toml') } });
    expect((oneJson((await tk(['config', '--json'], w)).stdout) as { data: { config: Record<string, unknown> } }).data.config['vm_cpus']).toBe(2);
    const bad = await tk(['config', 'edit'], { ...w, env: { ...w.env, EDITOR: editor, TK_TEST_EXTRA: 'ssh_port = true' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/config\.toml:2: ssh_port must be an integer/);
    const failed = await tk(['config', '--edit'], { ...w, env: { ...w.env, EDITOR: 'false' } });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/editor exited with code 1/);
  });

  it('proxy: dispatches to the proxy CLI with the config and --json', async () => {
    const w = world();
    writeFileSync(join(w.home, 'config.toml'), 'credential_proxy_bind = "127.0.0.1"\ncredential_proxy_port = 19999\n');
    const r = await tk(['proxy', 'status', '--json'], w);
    expect(r.code).toBe(0);
    expect(oneJson(r.stdout)).toMatchObject({ success: true, data: { running: false, bind: '127.0.0.1', port: 19999 } });
    expect((await tk(['proxy', '-h'], w)).stdout).toMatch(/^Usage: tk proxy/);
    expect((await tk(['proxy', 'frob'], w)).code).toBe(2);
  });

  it('first run imports the Rust tool files and says so', async () => {
    const home = tempDir();
    const rust = tempDir();
    writeFileSync(join(rust, 'state.json'), JSON.stringify({ version: 1, vms: [rec('tachikoma-myapp-main', 'main')] }));
    const env = { PATH: process.env['PATH'], HOME: home, TK_HOME: home, TK_TART: RECORDED_TART, TK_TACHIKOMA_DIR: rust };
    const r = await tk(['list', '--json'], { env, cwd: home });
    expect((oneJson(r.stdout) as unknown[]).length).toBe(2);
    expect(r.stderr).toMatch(/Imported 1 VM record/);
    expect((await tk(['list', '--json'], { env, cwd: home })).stderr).toBe('');
  });
});
