#!/usr/bin/env node
// Dashboard benchmark (not a test). Runs the real dashboard (runDashboard on the fake service with
// 100 VMs) and a baseline (a bare Ink app rendering one Text, same Ink options) in a real
// pseudo-terminal, and prints each figure beside the baseline measured in the same run:
//   start -> first full frame, keystroke -> frame (p50/p95), idle CPU (and renders while idle),
//   RSS, and file save -> board update (chokidar + debounced changes()).
// Usage: node bench/dashboard.mjs [--vms 100] [--idle-seconds 10] [--keys 60] [--settle-seconds 10]
//        [--busy-seconds 20 (0 = skip)] [--busy-vms 10]
// Env: BENCH_NODE_ARGS (extra node flags, e.g. --cpu-prof), BENCH_HEAPSNAP=1 (with --heapsnapshot-signal=SIGUSR1),
// TK_GC_LOG (file: one line per GC of the dashboard, plus the idle window's bounds).
import { build } from 'esbuild';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import { esbuildOptions } from '../scripts/build-options.mjs';
import { bundleBaselineApp, CLK_TCK, dashboardLaunch, numberOption, pct, procTicks, root, rssMb, sleep } from './lib/dashboard-common.mjs';

const VMS = numberOption('vms', 100);
const IDLE_S = numberOption('idle-seconds', 10);
const KEYS = numberOption('keys', 60);
const SETTLE_S = numberOption('settle-seconds', 10);
const BUSY_S = numberOption('busy-seconds', 20);
const BUSY_VMS = numberOption('busy-vms', 10);
const work = mkdtempSync(join(tmpdir(), 'tk-bench-'));
// Launch both programs the way bin/tk launches the dashboard: its malloc setting, node flags and
// a warm V8 compile cache (bin/tk sets NODE_COMPILE_CACHE; a warm-up launch fills it first).
const launch = dashboardLaunch();
const LAUNCH_ENV = { ...launch.env, NODE_COMPILE_CACHE: join(work, 'compile-cache') };
const LAUNCH_ARGS = launch.args;

// The dashboard is built exactly like the bundle users run (scripts/build.mjs: production React,
// code splitting, same externals); only the entry differs (the fake service instead of the CLI).
await build({ ...esbuildOptions, entryPoints: { runner: join(root, 'test/tui/fixtures/dashboard-runner.ts') }, outdir: join(work, 'dash'), logLevel: 'error' });
const runner = join(work, 'dash', 'runner.js');
const baseline = await bundleBaselineApp(work, VMS);

const cpuTicks = (pid) => procTicks(pid).self;

async function warmUp(file, env, readyMarker) {
  const p = pty.spawn(process.execPath, [...LAUNCH_ARGS, file], { name: 'xterm-256color', cols: 160, rows: 50, cwd: root, env: { ...process.env, CI: 'false', TERM: 'xterm-256color', ...LAUNCH_ENV, ...env } });
  let out = '';
  p.onData((d) => (out += d));
  const t0 = performance.now();
  while (!readyMarker.every((m) => out.includes(m)) && performance.now() - t0 < 15000) await sleep(20);
  p.write('q');
  await Promise.race([new Promise((r) => p.onExit(r)), sleep(3000)]);
  try {
    p.kill('SIGKILL');
  } catch {
    // exited
  }
}

async function measure(label, file, env, readyMarker, keyFor) {
  const renderLog = join(work, `${label}-renders.log`);
  const t0 = performance.now();
  const memLog = join(work, `${label}-mem.json`);
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const p = pty.spawn(process.execPath, [...LAUNCH_ARGS, ...nodeArgs, file], {
    name: 'xterm-256color',
    cols: 160,
    rows: 50,
    cwd: root,
    env: { ...process.env, CI: 'false', TERM: 'xterm-256color', TK_RENDER_LOG: renderLog, TK_MEM_LOG: memLog, ...LAUNCH_ENV, ...env },
  });
  let out = '';
  let onChunk = null;
  // Timestamped on the pty's data event (no busy-waiting: this process must not take CPU from
  // the one it measures).
  let firstFrameMs = null;
  let onFirst = null;
  const first = new Promise((r) => (onFirst = r));
  p.onData((d) => {
    out += d;
    if (firstFrameMs === null && readyMarker.every((m) => out.includes(m))) {
      firstFrameMs = performance.now() - t0;
      onFirst();
    }
    if (onChunk) onChunk(d);
  });
  await Promise.race([first, sleep(15000)]);
  if (firstFrameMs === null) throw new Error(`${label}: no first frame; output:\n${out.slice(-2000)}`);
  await sleep(1500); // first poll, watchers, details settle
  // Keystroke -> first frame bytes on the pty.
  const lat = [];
  const k0 = cpuTicks(p.pid);
  for (let i = 0; i < KEYS; i++) {
    // The frame is complete at the end of Ink's synchronized update (ESC[?2026l) when it uses one,
    // otherwise at the first chunk written after the key.
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
    await sleep(40);
  }
  // CPU the process spent per keystroke (robust to other load on the machine, unlike latency).
  const cpuPerKey = ((cpuTicks(p.pid) - k0) / CLK_TCK / KEYS) * 1000;
  const rss = rssMb(p.pid);
  let mem = null;
  {
    process.kill(p.pid, 'SIGUSR2');
    await sleep(300);
    try { mem = JSON.parse(readFileSync(memLog, 'utf8')); } catch { mem = null; }
  }
  // Settle: the dashboard runs one memory-reducing GC ~1.5 s after the last render (src/tui/idle-gc.ts),
  // and V8's memory reducer follows up ~8 s later. That one-off CPU is reported on its own; the idle
  // window (steady state) starts after it.
  const s0 = cpuTicks(p.pid);
  await sleep(SETTLE_S * 1000);
  const settleCpuMs = ((cpuTicks(p.pid) - s0) / CLK_TCK) * 1000;
  // Idle: nothing changes in the fake backend; count renders and CPU over IDLE_S seconds.
  const idleFrom = Date.now();
  const rendersBefore = readFileSync(renderLog, 'utf8').split('\n').filter(Boolean).length;
  const c0 = cpuTicks(p.pid);
  const w0 = performance.now();
  // RSS at rest: sampled every 500 ms through the idle window (median and max).
  const restSamples = [];
  while (performance.now() - w0 < IDLE_S * 1000) {
    await sleep(Math.min(500, Math.max(0, IDLE_S * 1000 - (performance.now() - w0))));
    restSamples.push(rssMb(p.pid));
  }
  const c1 = cpuTicks(p.pid);
  const idleCpu = ((c1 - c0) / CLK_TCK / ((performance.now() - w0) / 1000)) * 100;
  const idleRenders = readFileSync(renderLog, 'utf8').split('\n').filter(Boolean).length - rendersBefore;
  const rssRest = pct(restSamples, 50);
  const rssRestMax = Math.max(...restSamples);
  let memRest = null;
  process.kill(p.pid, 'SIGUSR2');
  await sleep(300);
  try { memRest = JSON.parse(readFileSync(memLog, 'utf8')); } catch { memRest = null; }
  if (process.env.TK_GC_LOG) {
    try { appendFileSync(process.env.TK_GC_LOG, `${idleFrom} idle-window-start ${label}\n${Date.now()} idle-window-end\n`); } catch {}
  }
  let saveMs = null;
  if (env.TK_FAKE_WORKTREE) {
    const mark = out.length;
    const t = performance.now();
    writeFileSync(join(env.TK_FAKE_WORKTREE, 'saved.txt'), 'x');
    while (performance.now() - t < 5000) {
      if (out.slice(mark).includes('2 files')) {
        saveMs = performance.now() - t;
        break;
      }
      await sleep(2);
    }
  }
  if (process.env.BENCH_HEAPSNAP) {
    process.kill(p.pid, 'SIGUSR1');
    await sleep(4000);
  }
  p.write('q');
  await Promise.race([new Promise((r) => p.onExit(r)), sleep(3000)]);
  try {
    p.kill('SIGKILL');
  } catch {
    // exited
  }
  return { firstFrameMs, cpuPerKey, p50: pct(lat, 50), p95: pct(lat, 95), n: lat.length, idleCpu, idleRenders, rss, rssRest, rssRestMax, settleCpuMs, saveMs, mem, memRest };
}

const wt = join(work, 'wt');
mkdirSync(wt);
writeFileSync(join(wt, 'a.txt'), 'a');
const home = join(work, 'home');
const dashEnv = { TK_FAKE_HOME: join(work, 'warm-home'), TK_FAKE_COUNT: String(VMS) };
const dashReady = [`${VMS} VMs:`, 'feat/task-000', 'provision'];
await warmUp(baseline, {}, [`baseline ${VMS} VMs`]);
await warmUp(runner, dashEnv, dashReady);
const base = await measure('baseline', baseline, {}, [`baseline ${VMS} VMs`], () => 'j');
const dash = await measure(
  'dashboard',
  runner,
  { TK_FAKE_HOME: home, TK_FAKE_COUNT: String(VMS), TK_FAKE_WORKTREE: wt },
  [`${VMS} VMs:`, 'feat/task-000', 'provision'],
  (i) => (i % 2 === 0 ? 'j' : 'k'),
);

// Busy board: BUSY_VMS rows provisioning, so their spinners render ~8 frames a second for BUSY_S
// seconds. Reports CPU, renders and RSS (max of samples every 500 ms): the frame caches must
// keep memory flat while every frame shows new text.
async function measureBusy() {
  const renderLog = join(work, 'busy-renders.log');
  const p = pty.spawn(process.execPath, [...LAUNCH_ARGS, runner], {
    name: 'xterm-256color', cols: 160, rows: 50, cwd: root,
    env: { ...process.env, CI: 'false', TERM: 'xterm-256color', TK_RENDER_LOG: renderLog, ...LAUNCH_ENV, TK_FAKE_HOME: join(work, 'busy-home'), TK_FAKE_COUNT: String(VMS), TK_FAKE_PROVISIONING: String(BUSY_VMS) },
  });
  p.onData(() => {});
  await sleep(3000);
  const c0 = cpuTicks(p.pid);
  const r0 = readFileSync(renderLog, 'utf8').split('\n').filter(Boolean).length;
  const w0 = performance.now();
  const rss = [];
  while (performance.now() - w0 < BUSY_S * 1000) {
    await sleep(500);
    rss.push(rssMb(p.pid));
  }
  const secs = (performance.now() - w0) / 1000;
  const cpu = ((cpuTicks(p.pid) - c0) / CLK_TCK / secs) * 100;
  const renders = (readFileSync(renderLog, 'utf8').split('\n').filter(Boolean).length - r0) / secs;
  p.write('q');
  await Promise.race([new Promise((r) => p.onExit(r)), sleep(3000)]);
  try {
    p.kill('SIGKILL');
  } catch {
    // exited
  }
  return { cpu, renders, rssFirst: rss[0], rssMax: Math.max(...rss), rssLast: rss[rss.length - 1] };
}
const busy = BUSY_S > 0 ? await measureBusy() : null;

const f = (x, d = 1) => (x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(d));
const rows = [
  ['start -> first full frame (ms)', f(base.firstFrameMs, 0), f(dash.firstFrameMs, 0), '< 300'],
  [`keystroke -> frame p50 (ms, n=${dash.n})`, f(base.p50, 2), f(dash.p50, 2), ''],
  [`keystroke -> frame p95 (ms, n=${dash.n})`, f(base.p95, 2), f(dash.p95, 2), '< 16'],
  ['CPU per keystroke (ms)', f(base.cpuPerKey, 2), f(dash.cpuPerKey, 2), ''],
  [`CPU in the ${SETTLE_S} s after the keys (ms)`, f(base.settleCpuMs, 0), f(dash.settleCpuMs, 0), ''],
  [`idle CPU over ${IDLE_S} s (% of a core)`, f(base.idleCpu, 2), f(dash.idleCpu, 2), '< 0.5'],
  [`renders while idle (${IDLE_S} s)`, String(base.idleRenders), String(dash.idleRenders), '0'],
  ['RSS right after the keys (MB)', f(base.rss, 1), f(dash.rss, 1), ''],
  [`RSS at rest, median over the idle window (MB)`, f(base.rssRest, 1), f(dash.rssRest, 1), '< 100'],
  [`RSS at rest, max over the idle window (MB)`, f(base.rssRestMax, 1), f(dash.rssRestMax, 1), ''],
  ['file save -> board (ms)', '-', f(dash.saveMs, 0), '< 250'],
  ...(busy
    ? [
        [`${BUSY_VMS} VMs provisioning: CPU (% of a core)`, '-', f(busy.cpu, 1), ''],
        [`${BUSY_VMS} VMs provisioning: renders per second`, '-', f(busy.renders, 1), ''],
        [`${BUSY_VMS} VMs provisioning: RSS first/max/last over ${BUSY_S} s (MB)`, '-', `${f(busy.rssFirst, 0)}/${f(busy.rssMax, 0)}/${f(busy.rssLast, 0)}`, '< 100'],
      ]
    : []),
];
console.log(`tk dashboard benchmark: ${VMS} VMs on the fake backend, 160x50 pty, node ${process.version}`);
console.log(`${'figure'.padEnd(40)} ${'baseline'.padStart(10)} ${'dashboard'.padStart(10)}  goal`);
for (const r of rows) console.log(`${r[0].padEnd(40)} ${r[1].padStart(10)} ${r[2].padStart(10)}  ${r[3]}`);
console.log('(baseline = bare Ink app, one <Text>, same render options; tart child processes: none with the fake backend)');
if (base.mem) console.log('baseline memory:', JSON.stringify(base.mem));
if (dash.mem) console.log('dashboard memory:', JSON.stringify(dash.mem));
if (base.memRest) console.log('baseline memory at rest:', JSON.stringify(base.memRest));
if (dash.memRest) console.log('dashboard memory at rest:', JSON.stringify(dash.memRest));
if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
else console.log("kept", work);
