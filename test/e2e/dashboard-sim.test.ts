// End-to-end: the built `tk` (no arguments) in a real pseudo-terminal against tart-sim, in a fully
// isolated world (temp TK_HOME, TART_HOME, lease database, git repo). Launch and see the rows; spawn
// with keys and watch the phases; enter over SSH, run `hostname`, exit and find the board back;
// destroy through the dialog; quit with the terminal restored (checked by `stty -a` in the same pty).
// TK_WRITE_DOCS=1 writes the board with real sim VMs to docs/dashboard-sim-capture.txt.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeRepo, tempDir } from '../helpers/git-repo.js';
import { KEYS, spawnPtyThenStty, ttyReport, type PtySession } from '../helpers/pty.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const TK = join(ROOT, 'bin/tk');
const TART = join(ROOT, 'bin/tart-sim');
const COLS = 140;
const ROWS = 36;

const base = tempDir('tk-e2e-tui-');
const { root: repo, parent } = makeRepo('simrepo');
const home = join(base, 'tkhome');
const env: Record<string, string> = {
  PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  HOME: base,
  TK_HOME: home,
  TK_TART: TART,
  TART_HOME: join(base, 'tart'),
  TART_SIM_LEASES: join(base, 'leases.json'),
  XDG_CACHE_HOME: join(base, 'cache'),
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.invalid',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  CI: 'false',
  TERM: 'xterm-256color',
};
let session: PtySession | null = null;
const timings: Record<string, number> = {};
let t0 = Date.now();
const lap = (step: string) => {
  timings[step] = Date.now() - t0;
  t0 = Date.now();
};

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => res(port));
    });
  });
}

function tart(args: string[]): string {
  return execFileSync(TART, args, { env, encoding: 'utf8', timeout: 60_000 });
}

function tartVms(): Array<{ Name: string; Running: boolean; Source: string; State?: string }> {
  return JSON.parse(tart(['list', '--format', 'json'])) as Array<{ Name: string; Running: boolean; Source: string }>;
}

async function tk(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(TK, args, { cwd: repo, env, timeout: 180_000, maxBuffer: 16 << 20 });
}

beforeAll(async () => {
  await run(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, timeout: 120_000 });
  mkdirSync(home, { recursive: true });
  const port = await freePort();
  writeFileSync(
    join(home, 'config.toml'),
    ['base_image = "ubuntu"', 'credential_proxy_bind = "127.0.0.1"', `credential_proxy_port = ${port}`, 'agent_install_command = ""', 'boot_timeout_secs = 90', ''].join('\n'),
  );
  tart(['clone', 'ghcr.io/cirruslabs/ubuntu:latest', 'ubuntu']);
  // Two VMs exist before launch: real rows at start, and a board worth capturing.
  await tk(['spawn', '--no-interactive', 'feat/first']);
  await tk(['spawn', '--no-interactive', 'fix/second']);
}, 400_000);

afterAll(async () => {
  session?.kill('SIGKILL');
  // OpenSSH ControlMaster processes left by enter.
  const cm = join(home, 'ssh', 'cm');
  if (existsSync(cm)) {
    for (const f of readdirSync(cm)) {
      try {
        execFileSync('ssh', ['-o', `ControlPath=${join(cm, f)}`, '-O', 'exit', 'tk-e2e'], { stdio: 'ignore', timeout: 10_000 });
      } catch {
        /* already gone */
      }
    }
  }
  try {
    for (const v of tartVms()) {
      if (v.Source !== 'local') continue;
      if (v.Running) tart(['stop', v.Name]);
      tart(['delete', v.Name]);
    }
  } catch {
    /* nothing left */
  }
  await tk(['proxy', 'stop']).catch(() => undefined);
  if (process.env['TK_E2E_KEEP'] === '1') return void process.stderr.write(`kept ${base} ${parent}\n`);
  rmSync(base, { recursive: true, force: true });
  rmSync(parent, { recursive: true, force: true });
}, 120_000);

it('launch, spawn with keys, enter and run hostname, destroy through the dialog, quit restoring the terminal', async () => {
  t0 = Date.now();
  const s = spawnPtyThenStty(TK, [], { cols: COLS, rows: ROWS, cwd: repo, env });
  session = s;

  // 1. The board: header with counts, the pre-spawned rows.
  await s.waitFor((t) => t.includes('feat/first') && t.includes('fix/second'), 30_000);
  expect(await s.buffer()).toBe('alternate');
  const board0 = await s.waitFor(/2 VMs: 2 running/, 15_000);
  expect(board0).toContain('BRANCH');
  await s.waitFor((t) => /feat\/first .*ready/.test(t) && /fix\/second .*ready/.test(t), 15_000);
  lap('launch');

  // 2. Spawn with keys; record the phases the row goes through.
  s.write('n');
  await s.waitFor('Spawn a VM for branch', 15_000);
  s.write('feat/e2e');
  s.write(KEYS.enter);
  const phases = new Set<string>();
  const PH = /feat\/e2e .*?\b(clone|configure|boot|ip|ssh-key|ssh|mount|hostname|git|profile|agent-install|agent-config|claude-dirs|scripts|worktree) \d+s/;
  await s.waitFor((t) => {
    const m = PH.exec(t);
    if (m?.[1]) phases.add(m[1]);
    if (/feat\/e2e .*failed/.test(t)) throw new Error(`spawn failed:\n${t}`);
    return /feat\/e2e .*ready/.test(t);
  }, 180_000);
  expect(phases.size).toBeGreaterThan(0);
  const board = await s.waitFor(/3 VMs: 3 running/, 15_000);
  lap('spawn');
  expect(board).toMatch(/feat\/e2e .*running .*ready .*simrepo +127\.\d+\.\d+\.\d+/);
  // A file saved in a worktree shows in the CHANGES column (chokidar watcher + hardened git status).
  const wt = readdirSync(parent).find((d) => d.startsWith('simrepo-feat-first-'));
  expect(wt).toBeDefined();
  writeFileSync(join(parent, wt ?? '', 'notes.txt'), 'saved\n');
  await s.waitFor(/feat\/first .*1 file/, 15_000);

  // 3. Select it and enter: the terminal goes to ssh, `hostname`, exit, the board comes back.
  if (!/› +feat\/e2e /.test(await s.screenText())) s.write('g');
  for (let i = 0; i < 5 && !/› +feat\/e2e /.test(await s.screenText()); i++) {
    s.write('j');
    await new Promise((r) => setTimeout(r, 150));
  }
  await s.waitFor(/› +feat\/e2e /, 5000);
  // The details pane, from the real engine (tart get once, cached): image, resources, uptime.
  const details = await s.waitFor((t) => /image +ubuntu/.test(t) && /resources +4 CPU, 8 GB memory/.test(t) && /uptime +\d+s/.test(t), 15_000);
  expect(details).toMatch(/VM +tachikoma-simrepo-feat-e2e/);
  if (process.env['TK_WRITE_DOCS'] === '1') {
    const trim = (t: string) => t.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').replace(/\n+$/, '');
    writeFileSync(join(ROOT, 'docs/dashboard-sim-capture.txt'), `# board (${COLS}x${ROWS}): tk on tart-sim, three real sim VMs, one with a saved file\n${trim(details)}\n`);
  }
  s.write(KEYS.enter);
  await s.waitFor('exit the shell to return', 30_000);
  expect(await s.buffer()).toBe('normal');
  await s.waitFor(/admin@feat-e2e/, 30_000);
  s.write('hostname\r');
  await s.waitFor(/hostname\s*\n\s*feat-e2e\s*$/m, 15_000);
  s.write('exit\r');
  await s.waitFor((t) => t.includes('BRANCH') && t.includes('Back from tachikoma-simrepo-feat-e2e'), 30_000);
  expect(await s.buffer()).toBe('alternate');
  await s.waitFor(/› +feat\/e2e /, 5000);
  expect(await s.screenText()).toMatch(/feat\/first .*ready/);
  lap('enter');

  // 4. Destroy through the dialog.
  s.write('D');
  await s.waitFor('Destroy tachikoma-simrepo-feat-e2e?', 15_000);
  const dlg = await s.waitFor('remove worktree', 15_000);
  expect(dlg).toMatch(/delete VM tachikoma-simrepo-feat-e2e/);
  s.write('y');
  await s.waitFor((t) => t.includes('tachikoma-simrepo-feat-e2e destroyed') && !/feat\/e2e /.test(t), 60_000);
  expect(tartVms().map((v) => v.Name)).not.toContain('tachikoma-simrepo-feat-e2e');
  expect(readdirSync(parent).filter((d) => d.startsWith('simrepo-feat-e2e-'))).toEqual([]); // clean worktree removed
  await s.waitFor(/2 VMs: 2 running/, 15_000);
  lap('destroy');

  // 5. Quit: exit 0, normal buffer, cooked mode back.
  s.write('q');
  const after = await s.waitFor('STTY-DONE', 30_000);
  expect(await s.buffer()).toBe('normal');
  expect(ttyReport(after)).toEqual({ rc: 0, icanon: true, echo: true });
  lap('quit');
  process.stderr.write(`dashboard-sim phases seen: ${[...phases].join(', ')}; timings ms: ${JSON.stringify(timings)}\n`);
}, 420_000);
