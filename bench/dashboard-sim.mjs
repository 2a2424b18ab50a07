#!/usr/bin/env node
// Dashboard benchmark on tart-sim (not a test): the real `bin/tk` (no arguments, launched exactly as a
// user launches it: bin/tk sets its own env and node flags) in a 160x50 pseudo-terminal (node-pty,
// CI=false) against 100 tachikoma VMs in tart-sim, in an isolated temporary world (TK_HOME,
// TART_HOME, lease database, HOME, XDG_CACHE_HOME, git repository, credential proxy on a free
// loopback port), like test/e2e/dashboard-sim.test.ts.
//
// The world: the bundled `ghcr.io/cirruslabs/ubuntu:latest` is cloned to `ubuntu` (tk's base
// image); `tk spawn --no-interactive` creates the first --running VMs (branches feat/task-001..,
// fully provisioned, left running) and one more that `tk stop` halts; that stopped VM is the
// template of the others: for each, a git worktree like tk's (`git branch` + `git worktree add`,
// tk's directory name), `tart clone` of the template (copy-on-write, provisioned disk and all; a
// local clone gets a new MAC) and a state.json record copied from the template's with the name,
// branch, worktree and dates changed (written before tk runs, atomically, in tk's field order).
// So every row is a tracked VM with a real worktree (100 chokidar watchers, tk's changes() = `git
// config --list` + `git status` once each at launch, when its watcher's initial scan is ready), as on a machine where tk made them all; none
// is untracked. Building it takes ~18 s (tk spawn ~1.7 s a VM, clone + worktree ~80 ms).
//
// Printed beside a baseline from the same run (two kinds; the table says which per row):
//  - a bare Ink app (one <Text>, the dashboard's render options, launched with bin/tk's dashboard
//    flags) in the same pty: the floor of Ink + Node for frames, keys, idle CPU and RSS;
//  - the child-process side on the same 100 VMs: `tk list --json` (the CLI listing the same world
//    without a UI: the first frame needs that same work); one `tart list --format json`, `tart get`,
//    `git config --list` and `git status` each run alone (median wall, mean CPU of 10 or 50, tart
//    through the same wrapper), and from them the CPU the dashboard's child processes would take if each ran
//    alone ("alone" rows: the calls it made, counted, times those costs).
// Figures: start -> first full frame (header shows "100 VMs:"); the launch burst (dashboard and
// child CPU, tart calls, first 5 s); keystroke -> frame p50/p95 over --keys keys (half j, then
// half k, so half the keys select a row never selected before; details (one `tart get`) and
// changes() run only once the selection rests 150 ms, and keys here come faster than that; a key is sent once the board has been quiet for 100 ms, so
// the frame timed is the key's own; a frame is done at ESC[?2026l as in bench/dashboard.mjs); idle
// over --idle-seconds after --settle-seconds: CPU of the dashboard process (% of a core), CPU of
// its descendants (tart list polls, changes() of the selected worktree: from /proc/<pid>/stat,
// live descendants' utime+stime+cutime+cstime plus the dashboard's cutime/cstime, fields 16/17,
// for the ones that exited), tart invocations (TK_TART is a /bin/sh wrapper that appends a line
// per call to a log, then execs bin/tart-sim: its cost is one dash exec, ~1 ms), frames drawn,
// RSS (median of samples every 500 ms).
//
// Usage: node bench/dashboard-sim.mjs [--vms 100] [--running 5] [--idle-seconds 20] [--keys 40]
//        [--settle-seconds 10] [--launch-seconds 5] [--no-build]
// Everything is removed at the end, also on failure or Ctrl-C: the dashboard, running sim VMs
// (tart stop), the credential proxy (tk proxy stop), the temporary directory. BENCH_KEEP=1 keeps
// the directory (VMs are still stopped).
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync, chmodSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import { bundleBaselineApp, CLK_TCK, dashboardLaunch, numberOption, median, pct, procTicks, root, rssMb, sleep } from './lib/dashboard-common.mjs';

const args = process.argv.slice(2);
const VMS = numberOption('vms', 100);
const RUNNING = numberOption('running', 5);
const IDLE_S = numberOption('idle-seconds', 20);
const KEYS = numberOption('keys', 40);
const SETTLE_S = numberOption('settle-seconds', 10);
const LAUNCH_S = numberOption('launch-seconds', 5);
const COLS = 160;
const ROWS = 50;
if (!(RUNNING >= 1 && VMS >= RUNNING + 1)) throw new Error('need --running >= 1 and --vms >= --running + 1');

const TK = join(root, 'bin/tk');
const TART = join(root, 'bin/tart-sim');
const pad3 = (i) => String(i).padStart(3, '0');
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

// ---- the isolated world -------------------------------------------------------------------------
const base = realpathSync(mkdtempSync(join(tmpdir(), 'tk-bench-sim-')));
const repoParent = join(base, 'src');
const repo = join(repoParent, 'benchrepo');
const tkHome = join(base, 'tkhome');
const tartLog = join(base, 'tart-calls.log');
const wrapper = join(base, 'tart-wrapper.sh');
const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: base,
  TK_HOME: tkHome,
  TK_TART: wrapper,
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
// What this benchmark has started and not yet seen exit (killed first on cleanup).
const ptys = new Set();
const children = new Set();

/** Runs a command asynchronously (so Ctrl-C is handled at once); resolves with stdout. */
function run(file, argv, opts = {}) {
  return new Promise((resolve, reject) => {
    const c = execFile(file, argv, { env, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20, ...opts }, (err, stdout, stderr) => {
      children.delete(c);
      if (err) reject(new Error(`${file} ${argv.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    children.add(c);
  });
}
const tart = (...a) => run(TART, a);
const git = (cwd, ...a) => run('git', a, { cwd });
const tk = (...a) => run(TK, a, { cwd: repo });

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

// The same FNV-1a tk uses for worktree directory names (src/core/naming.ts worktreeDirName).
function shortHash(text) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
const worktreeDir = (branch) => join(repoParent, `benchrepo-${branch.replace(/\//g, '-')}-${shortHash(branch)}`);

async function makeWorld() {
  const t0 = performance.now();
  mkdirSync(tkHome, { recursive: true });
  writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${tartLog}'\nexec '${TART}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  writeFileSync(tartLog, '');
  const port = await freePort();
  writeFileSync(
    join(tkHome, 'config.toml'),
    ['base_image = "ubuntu"', 'credential_proxy_bind = "127.0.0.1"', `credential_proxy_port = ${port}`, 'agent_install_command = ""', 'boot_timeout_secs = 90', ''].join('\n'),
  );
  mkdirSync(repoParent);
  await run('git', ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'README.md'), 'bench\n');
  mkdirSync(join(repo, 'src'));
  writeFileSync(join(repo, 'src', 'index.ts'), 'export {};\n');
  await git(repo, 'add', '.');
  await git(repo, 'commit', '-q', '-m', 'init');
  await tart('clone', 'ghcr.io/cirruslabs/ubuntu:latest', 'ubuntu');
  const branch = (i) => `feat/task-${pad3(i)}`;
  const vmName = (i) => `tachikoma-benchrepo-feat-task-${pad3(i)}`;
  for (let i = 1; i <= RUNNING + 1; i++) await tk('spawn', '--no-interactive', branch(i));
  const template = vmName(RUNNING + 1);
  await tk('stop', template);
  const tSpawned = performance.now();
  const state = JSON.parse(readFileSync(join(tkHome, 'state.json'), 'utf8'));
  const tpl = state.vms.find((v) => v.name === template);
  if (!tpl || tpl.status !== 'stopped' || tpl.worktree_path !== worktreeDir(branch(RUNNING + 1))) {
    throw new Error(`tk's record of ${template} is not what this benchmark expects (update it): ${JSON.stringify(tpl)}`);
  }
  const now = Date.now();
  for (let i = RUNNING + 2; i <= VMS; i++) {
    const b = branch(i);
    const wt = worktreeDir(b);
    await git(repo, 'branch', '--end-of-options', b, 'HEAD');
    await git(repo, 'worktree', 'add', '-q', '--end-of-options', wt, b);
    await tart('clone', template, vmName(i));
    // Spread the dates over the last days so USED differs per row.
    const used = new Date(now - i * 37 * 60_000).toISOString();
    state.vms.push({ ...tpl, name: vmName(i), branch: b, worktree_path: wt, created_at: new Date(now - i * 41 * 60_000).toISOString(), last_used: used });
  }
  const tmp = join(tkHome, `state.json.tmp-bench-${process.pid}`);
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, join(tkHome, 'state.json'));
  const running = JSON.parse(await tart('list', '--format', 'json')).filter((v) => v.Running).length;
  if (running !== RUNNING) throw new Error(`expected ${RUNNING} running VMs, tart-sim lists ${running}`);
  return { spawnS: (tSpawned - t0) / 1000, totalS: (performance.now() - t0) / 1000 };
}

let cleaning = null;
/** Idempotent: the signal handler and the main path share one run. */
function cleanup() {
  cleaning ??= cleanupOnce();
  return cleaning;
}
async function cleanupOnce() {
  for (const p of ptys) {
    try {
      p.kill('SIGKILL');
    } catch {
      // exited
    }
  }
  for (const c of children) c.kill('SIGKILL');
  await sleep(200);
  try {
    for (const v of JSON.parse(await tart('list', '--format', 'json'))) if (v.Running) await tart('stop', v.Name);
  } catch (e) {
    log(`stopping VMs: ${e.message}`);
  }
  try {
    await tk('proxy', 'stop');
  } catch {
    // not running
  }
  // Anything still running from this world (it would be a bug above): processes with the base
  // directory in their command line, all started by this benchmark.
  await sleep(300);
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (Number(pid) === process.pid) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes(base)) {
      log(`left over, killed: ${pid} ${cmd.replace(/\0/g, ' ').slice(0, 160)}`);
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  if (process.env.BENCH_KEEP) log(`kept ${base}`);
  else rmSync(base, { recursive: true, force: true });
}

// ---- /proc accounting ----------------------------------------------------------------------------
const stat = procTicks;
function descendants(pid) {
  const out = [];
  const walk = (p) => {
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let kids = '';
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const k of kids.split(' ').filter(Boolean)) {
        out.push(Number(k));
        walk(Number(k));
      }
    }
  };
  walk(pid);
  return out;
}
/** CPU ticks of `pid` itself and of all its descendants, live or exited (and reaped). */
function treeTicks(pid) {
  for (let attempt = 0; ; attempt++) {
    const a = stat(pid);
    let live = 0;
    for (const d of descendants(pid)) {
      try {
        const s = stat(d);
        live += s.self + s.reaped;
      } catch {
        // exited meanwhile: in the parent's cutime once reaped (re-checked below)
      }
    }
    const b = stat(pid);
    if (b.reaped === a.reaped || attempt >= 5) return { self: b.self, children: b.reaped + live };
  }
}
const tartCalls = () => readFileSync(tartLog, 'utf8').split('\n').filter(Boolean);
/** Tart calls by subcommand: { list: 20, get: 20 } */
function kinds(calls) {
  const n = {};
  for (const c of calls) n[c.split(' ')[0]] = (n[c.split(' ')[0]] ?? 0) + 1;
  return n;
}
const kindsText = (n) => Object.entries(n).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
const selfChildTicks = () => stat(process.pid).reaped;

// ---- baselines -------------------------------------------------------------------------------------
function timeRuns(n, file, argv, opts = {}) {
  const walls = [];
  const c0 = selfChildTicks();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = spawnSync(file, argv, { env, stdio: 'ignore', timeout: 60_000, ...opts });
    if (r.status !== 0) throw new Error(`${file} ${argv.join(' ')} exited ${r.status}`);
    walls.push(performance.now() - t);
  }
  return { wallMs: median(walls), cpuMs: ((selfChildTicks() - c0) / CLK_TCK / n) * 1000 };
}

// ---- one program in the pty -----------------------------------------------------------------------
function spawnPty(file, argv, extraEnv = {}) {
  const p = pty.spawn(file, argv, { name: 'xterm-256color', cols: COLS, rows: ROWS, cwd: repo, env: { ...env, ...extraEnv } });
  ptys.add(p);
  p.onExit(() => ptys.delete(p));
  return p;
}
async function quit(p) {
  p.write('q');
  await Promise.race([new Promise((r) => p.onExit(r)), sleep(5000)]);
  try {
    p.kill('SIGKILL');
  } catch {
    // exited
  }
}
async function warmUp(file, argv, extraEnv, ready) {
  const p = spawnPty(file, argv, extraEnv);
  let out = '';
  p.onData((d) => (out += d));
  const t0 = performance.now();
  while (!ready(out) && performance.now() - t0 < 30_000) await sleep(50);
  if (!ready(out)) throw new Error(`warm-up of ${file}: no first frame; output:\n${out.slice(-2000)}`);
  await sleep(2000);
  await quit(p);
}

async function measure(label, file, argv, extraEnv, ready, keyFor) {
  const t0 = performance.now();
  const p = spawnPty(file, argv, extraEnv);
  let out = '';
  let lastData = performance.now();
  let frames = 0; // ESC[?2026l (end of a synchronized update) seen
  let carry = '';
  let onChunk = null;
  let firstFrameMs = null;
  let onFirst = null;
  const first = new Promise((r) => (onFirst = r));
  const lt0 = tartCalls().length;
  p.onData((d) => {
    out += d;
    lastData = performance.now();
    const scan = carry + d;
    frames += scan.split('\x1b[?2026l').length - 1;
    carry = scan.slice(-8);
    if (firstFrameMs === null && ready(out)) {
      firstFrameMs = performance.now() - t0;
      onFirst();
    }
    if (onChunk) onChunk(d);
  });
  await Promise.race([first, sleep(30_000)]);
  if (firstFrameMs === null) throw new Error(`${label}: no first frame; output:\n${out.slice(-3000)}`);
  const pid = p.pid;
  // Launch burst: from the start to LAUNCH_S after the first frame (watchers, 100 git status, details).
  await sleep(LAUNCH_S * 1000);
  const l1 = treeTicks(pid);
  const launch = { selfMs: (l1.self / CLK_TCK) * 1000, childMs: (l1.children / CLK_TCK) * 1000, tart: kinds(tartCalls().slice(lt0)) };

  // Keys.
  const lat = [];
  const k0 = treeTicks(pid);
  const kt0 = tartCalls().length;
  for (let i = 0; i < KEYS; i++) {
    const q0 = performance.now();
    while (performance.now() - lastData < 100 && performance.now() - q0 < 1000) await sleep(10);
    const got = new Promise((resolve) => {
      let acc = '';
      onChunk = (d) => {
        acc += d;
        if (!acc.includes('\x1b[?2026h') || acc.includes('\x1b[?2026l')) {
          onChunk = null;
          resolve(performance.now());
        }
      };
    });
    const t = performance.now();
    p.write(keyFor(i));
    const done = await Promise.race([got, sleep(1000).then(() => null)]);
    onChunk = null;
    if (done !== null) lat.push(done - t);
  }
  await sleep(500);
  const k1 = treeTicks(pid);
  const keys = {
    p50: pct(lat, 50),
    p95: pct(lat, 95),
    n: lat.length,
    cpuPerKey: ((k1.self - k0.self) / CLK_TCK / KEYS) * 1000,
    childPerKey: ((k1.children - k0.children) / CLK_TCK / KEYS) * 1000,
    tart: kinds(tartCalls().slice(kt0)),
  };
  await sleep(SETTLE_S * 1000);

  // Idle window.
  const i0 = treeTicks(pid);
  const it0 = tartCalls().length;
  const f0 = frames;
  const w0 = performance.now();
  const rss = [];
  while (performance.now() - w0 < IDLE_S * 1000) {
    await sleep(Math.min(500, Math.max(0, IDLE_S * 1000 - (performance.now() - w0))));
    rss.push(rssMb(pid));
  }
  const i1 = treeTicks(pid);
  const secs = (performance.now() - w0) / 1000;
  const idleCalls = tartCalls().slice(it0);
  const idle = {
    cpu: ((i1.self - i0.self) / CLK_TCK / secs) * 100,
    childCpu: ((i1.children - i0.children) / CLK_TCK / secs) * 100,
    childMs: ((i1.children - i0.children) / CLK_TCK) * 1000,
    tart: idleCalls.length,
    tartKinds: kinds(idleCalls),
    frames: frames - f0,
    rss: median(rss),
    rssMax: Math.max(...rss),
  };
  await quit(p);
  return { firstFrameMs, launch, keys, idle };
}

// ---- main -----------------------------------------------------------------------------------------
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

let exitCode = 0;
try {
  if (!args.includes('--no-build')) execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  log(`building the world in ${base}: ${VMS} VMs, ${RUNNING} running`);
  const world = await makeWorld();
  log(`world ready in ${world.totalS.toFixed(1)} s (tk spawn of ${RUNNING + 1}: ${world.spawnS.toFixed(1)} s)`);

  // Baselines on the tart side (warm compile caches first).
  timeRuns(2, TK, ['list', '--json'], { cwd: repo });
  timeRuns(2, wrapper, ['list', '--format', 'json']);
  const nodeE = timeRuns(10, process.execPath, ['-e', '0']);
  const tartList = timeRuns(10, wrapper, ['list', '--format', 'json']);
  const tartGet = timeRuns(10, wrapper, ['get', `tachikoma-benchrepo-feat-task-${pad3(VMS)}`, '--format', 'json']);
  const tkList = timeRuns(5, TK, ['list', '--json'], { cwd: repo });
  // tk's changes() of a worktree: `git config --list` (the repository's drivers, read afresh) then
  // `git status`, with tk's arguments (not its -c overrides). It runs on each poll for the selected
  // row, when the selection rests, and once per worktree at launch (src/adapters/watcher.ts's
  // refresh when chokidar's initial scan is ready).
  const wt1 = worktreeDir('feat/task-001');
  // (50 runs: CPU is counted in 10 ms ticks, and the launch row multiplies this by the VM count.)
  const gitConfig = timeRuns(50, 'git', ['--no-pager', 'config', '--null', '--name-only', '--list'], { cwd: wt1 });
  const gitStatus = timeRuns(50, 'git', ['--no-pager', 'status', '--porcelain=v2', '--branch', '-z', '--ignore-submodules=all', '--untracked-files=normal', '--no-renames'], { cwd: wt1 });
  const changesCpu = gitConfig.cpuMs + gitStatus.cpuMs;

  const baselineFile = await bundleBaselineApp(base, VMS);
  // The baseline gets bin/tk's dashboard launch (its malloc setting, node flags, compile cache).
  const launch = dashboardLaunch();
  const baseEnv = { ...launch.env, NODE_COMPILE_CACHE: join(base, 'cache', 'baseline-compile-cache') };
  const baseArgs = [...launch.args, baselineFile];
  const baseReady = (o) => o.includes(`baseline ${VMS} VMs`);
  await warmUp(process.execPath, baseArgs, baseEnv, baseReady);
  const b = await measure('baseline', process.execPath, baseArgs, baseEnv, baseReady, () => 'j');

  const dashReady = (o) => o.includes(`${VMS} VMs:`) && o.includes('feat/task-001');
  await warmUp(TK, [], {}, dashReady);
  const dashKey = (i) => (i < KEYS / 2 ? 'j' : 'k');
  const d = await measure('dashboard', TK, [], {}, dashReady, dashKey);
  const load = loadavg();

  const f = (x, n = 1) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(n));
  const perPoll = tartList.cpuMs + changesCpu;
  const tartCpu = (n) => (n.list ?? 0) * tartList.cpuMs + (n.get ?? 0) * tartGet.cpuMs;
  const rows = [
    ['start -> first full frame (ms)', f(tkList.wallMs, 0), f(d.firstFrameMs, 0), '`tk list --json`, same world'],
    ['', f(b.firstFrameMs, 0), '', 'bare Ink app'],
    [`launch burst to first frame + ${LAUNCH_S} s: CPU (ms)`, f(b.launch.selfMs, 0), f(d.launch.selfMs, 0), 'bare Ink app'],
    ['  same, child processes CPU (ms)', f(tartCpu(d.launch.tart) + VMS * changesCpu, 0), f(d.launch.childMs, 0), `alone: its tart calls (${kindsText(d.launch.tart)}) + ${VMS} changes()`],
    [`keystroke -> frame p50 (ms, n=${d.keys.n})`, f(b.keys.p50, 2), f(d.keys.p50, 2), 'bare Ink app'],
    [`keystroke -> frame p95 (ms, n=${d.keys.n})`, f(b.keys.p95, 2), f(d.keys.p95, 2), 'bare Ink app'],
    ['CPU per keystroke (ms)', f(b.keys.cpuPerKey, 2), f(d.keys.cpuPerKey, 2), 'bare Ink app'],
    ['  child processes CPU per keystroke (ms)', f((tartCpu(d.keys.tart) + (d.keys.tart.get ?? 0) * changesCpu) / KEYS, 1), f(d.keys.childPerKey, 1), `alone: its tart calls (${kindsText(d.keys.tart)}) + a changes() per get`],
    [`idle CPU over ${IDLE_S} s, dashboard (% core)`, f(b.idle.cpu, 2), f(d.idle.cpu, 2), 'bare Ink app'],
    [`idle CPU over ${IDLE_S} s, children (% core)`, f((d.idle.tart * perPoll) / 10 / IDLE_S, 2), f(d.idle.childCpu, 2), 'alone: its polls x (`tart list` + changes())'],
    [`tart invocations while idle (${IDLE_S} s)`, String(Math.floor(IDLE_S / 5)), String(d.idle.tart), `poll_idle_ms 5000 (${kindsText(d.idle.tartKinds)})`],
    [`frames while idle (${IDLE_S} s)`, String(b.idle.frames), String(d.idle.frames), 'bare Ink app'],
    ['RSS at rest, median (MB)', f(b.idle.rss, 1), f(d.idle.rss, 1), 'bare Ink app'],
    ['RSS at rest, max (MB)', f(b.idle.rssMax, 1), f(d.idle.rssMax, 1), 'bare Ink app'],
  ];
  console.log(`tk dashboard on tart-sim: ${VMS} tracked VMs (${RUNNING} running), ${COLS}x${ROWS} pty, node ${process.version}, load average ${load.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`${'figure'.padEnd(46)} ${'baseline'.padStart(9)} ${'dashboard'.padStart(9)}  baseline is`);
  for (const r of rows) console.log(`${r[0].padEnd(46)} ${r[1].padStart(9)} ${r[2].padStart(9)}  ${r[3]}`);
  const one = (name, r) => `${name}: ${f(r.wallMs, 1)} ms wall, ${f(r.cpuMs, 1)} ms CPU`;
  console.log(`one call, median wall and mean CPU (${VMS} VMs; tart through the TK_TART wrapper):`);
  console.log(`  ${one('`tart list --format json`', tartList)}; ${one('`tart get <vm> --format json`', tartGet)}`);
  console.log(`  ${one('`git config --list`', gitConfig)}; ${one('`git status`', gitStatus)} (tk's changes() runs both)`);
  console.log(`  ${one('`node -e 0`', nodeE)}; ${one('`tk list --json`', tkList)}`);
  console.log(
    `idle children: ${f(d.idle.childMs, 0)} ms CPU for ${d.idle.tart} polls = ${f(d.idle.tart ? d.idle.childMs / d.idle.tart : NaN, 1)} ms per poll ` +
      `(alone: tart list + changes() = ${f(perPoll, 1)} ms); world built in ${world.totalS.toFixed(1)} s`,
  );
} catch (e) {
  exitCode = 1;
  if (!interrupted) process.stderr.write(`bench/dashboard-sim.mjs failed: ${e.stack ?? e}\n`);
} finally {
  await cleanup();
}
if (existsSync(base) && !process.env.BENCH_KEEP) log(`could not remove ${base}`);
process.exit(interrupted ? 130 : exitCode);
