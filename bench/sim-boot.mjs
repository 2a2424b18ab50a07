#!/usr/bin/env node
// Boot time and memory of sim guests.
//   boot = spawn of `bin/tart-sim run --no-graphics <vm>` -> first SSH banner on <ip>:22
//   memory = RSS and PSS (/proc/<pid>/smaps_rollup) of the guest's processes (unshare, guest PID 1,
//            guest anchor; sshd runs per connection, inetd-style, so an idle guest has none) and,
//            separately, of the `tart-sim run` Node process.
// Baselines measured in the same run: a bare `unshare --fork true` and a bare `node -e 0`.
// Usage: node bench/sim-boot.mjs [count=20]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const count = Number(process.argv[2] ?? 20);
const bin = join(root, 'bin/tart-sim');
const dir = mkdtempSync(join(tmpdir(), 'tart-sim-boot-bench-'));
const env = {
  ...process.env,
  TART_HOME: join(dir, 'home'),
  TART_SIM_LEASES: join(dir, 'leases.json'),
  TART_SIM_REGISTRY: join(dir, 'registry'),
  TART_SIM_IP_DELAY_MS: '0',
  CI: 'true',
};
delete env.TART_SIM_FAULTS;
const children = new Set();
const sim = (args) => execFileSync(bin, args, { env, encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function timeSpawn(cmd, args, runs = 15) {
  for (let i = 0; i < 3; i++) spawnSync(cmd, args, { stdio: 'ignore', env });
  const t = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    spawnSync(cmd, args, { stdio: 'ignore', env });
    t.push(performance.now() - t0);
  }
  return median(t);
}

function ipOf(name) {
  const mac = JSON.parse(readFileSync(join(env.TART_HOME, 'vms', name, 'config.json'), 'utf8')).macAddress.toLowerCase();
  try {
    return JSON.parse(readFileSync(env.TART_SIM_LEASES, 'utf8')).macs[mac] ?? null;
  } catch {
    return null;
  }
}

function banner(ip) {
  return new Promise((res) => {
    const s = connect({ host: ip, port: 22 });
    s.once('data', (b) => {
      s.destroy();
      res(b.toString().startsWith('SSH-'));
    });
    s.once('error', () => res(false));
    s.setTimeout(3000, () => {
      s.destroy();
      res(false);
    });
  });
}

function startRun(name) {
  const child = spawn(bin, ['run', '--no-graphics', name], { env, stdio: 'ignore' });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function bootTime(name) {
  const t0 = performance.now();
  const child = startRun(name);
  for (;;) {
    const ip = ipOf(name);
    if (ip && (await banner(ip))) return { ms: performance.now() - t0, child };
    if (child.exitCode !== null) throw new Error(`run ${name} exited early`);
    await sleep(5);
  }
}

function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
function tree(pid) {
  const out = [pid];
  for (const c of childrenOf(pid)) out.push(...tree(c));
  return out;
}
function mem(pid) {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0);
    return { rss: kb('Rss'), pss: kb('Pss') };
  } catch {
    return { rss: 0, pss: 0 };
  }
}
/** Memory of one running VM: [guest processes, the run Node process]. */
function vmMemory(runPid) {
  const guestPids = childrenOf(runPid).flatMap((p) => tree(p)); // setpriv->unshare, PID 1, anchor, ...
  const g = guestPids.map(mem).reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss }), { rss: 0, pss: 0 });
  return { guest: g, node: mem(runPid), procs: guestPids.length };
}
const mib = (kb) => (kb / 1024).toFixed(1);

async function stopAll() {
  const waits = [...children].map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r))));
  for (const c of children) c.kill('SIGINT');
  await Promise.all(waits);
}

async function main() {
  sim(['clone', 'ghcr.io/cirruslabs/ubuntu:latest', 'base']);
  const unshareMs = timeSpawn('unshare', ['--fork', '--pid', '--mount', 'true']);
  const nodeMs = timeSpawn(process.execPath, ['-e', '0']);
  console.log(`baseline: unshare --fork --pid --mount true ${unshareMs.toFixed(1)} ms, node -e 0 ${nodeMs.toFixed(1)} ms`);

  // one VM: first boot (provisioning + host key) and warm boots
  sim(['clone', 'base', 'one']);
  const first = await bootTime('one');
  await sleep(300);
  const m1 = vmMemory(first.child.pid);
  const execMs = timeSpawn(bin, ['exec', 'one', 'true'], 10);
  await stopAll();
  const warm = [];
  for (let i = 0; i < 5; i++) {
    const b = await bootTime('one');
    warm.push(b.ms);
    await stopAll();
  }
  const warmMs = median(warm);
  console.log(`one VM: first boot ${first.ms.toFixed(0)} ms, warm boot ${warmMs.toFixed(0)} ms (median of 5) = ${(warmMs / unshareMs).toFixed(1)}x unshare, ${(warmMs / nodeMs).toFixed(1)}x node -e 0`);
  console.log(`exec round trip (tart-sim exec one true): ${execMs.toFixed(1)} ms = ${(execMs / nodeMs).toFixed(1)}x node -e 0`);
  console.log(`one idle VM: guest ${m1.procs} processes RSS ${mib(m1.guest.rss)} MiB PSS ${mib(m1.guest.pss)} MiB; tart-sim run (Node) RSS ${mib(m1.node.rss)} MiB PSS ${mib(m1.node.pss)} MiB`);

  // N VMs at once
  const names = Array.from({ length: count }, (_, i) => `vm${i}`);
  for (const n of names) sim(['clone', 'base', n]);
  for (const phase of ['first', 'warm']) {
    const t0 = performance.now();
    const res = await Promise.all(names.map((n) => bootTime(n)));
    const all = performance.now() - t0;
    const times = res.map((r) => r.ms);
    console.log(`${count} VMs at once (${phase} boot): all up in ${all.toFixed(0)} ms (each ${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms, median ${median(times).toFixed(0)}) = ${(all / warmMs).toFixed(1)}x one warm boot`);
    if (phase === 'warm') {
      await sleep(500);
      const ms = res.map((r) => vmMemory(r.child.pid));
      const sum = (f) => ms.reduce((a, m) => a + f(m), 0);
      console.log(`${count} idle VMs: guests RSS ${mib(sum((m) => m.guest.rss))} MiB PSS ${mib(sum((m) => m.guest.pss))} MiB (${mib(sum((m) => m.guest.pss) / count)} MiB/VM); run processes RSS ${mib(sum((m) => m.node.rss))} MiB PSS ${mib(sum((m) => m.node.pss))} MiB`);
    }
    await stopAll();
  }
}

try {
  await main();
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
