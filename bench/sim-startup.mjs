#!/usr/bin/env node
// Start-up cost of tart-sim: `node -e 0` (baseline) vs `bin/tart-sim list --format json` and
// `bin/tart-sim ip <stopped VM with a live lease>` against a TART_HOME with 20 VMs.
// Usage: node bench/sim-startup.mjs [runs=30]. Prints medians and ratios vs the baseline, measured
// in this same run (hyperfine-style: warm-up, then N sequential runs, wall time per spawn).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 30);
const bin = join(root, 'bin/tart-sim');
const dir = mkdtempSync(join(tmpdir(), 'tart-sim-bench-'));
const env = {
  ...process.env,
  TART_HOME: join(dir, 'home'),
  TART_SIM_LEASES: join(dir, 'leases.json'),
  TART_SIM_REGISTRY: join(dir, 'registry'),
  CI: 'true',
};

function sim(args) {
  return execFileSync(bin, args, { env, encoding: 'utf8' });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function measure(cmd, args) {
  for (let i = 0; i < 3; i++) spawnSync(cmd, args, { env, stdio: 'ignore' });
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env, stdio: 'ignore' });
    const t1 = process.hrtime.bigint();
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
    times.push(Number(t1 - t0) / 1e6);
  }
  return { median: median(times), min: Math.min(...times), max: Math.max(...times) };
}

try {
  // 20 VMs: one cloned image and 19 clones of it, plus a live lease for vm-01.
  sim(['clone', 'ghcr.io/cirruslabs/ubuntu:latest', 'vm-00']);
  for (let i = 1; i < 20; i++) sim(['clone', 'vm-00', `vm-${String(i).padStart(2, '0')}`]);
  const mac = JSON.parse(readFileSync(join(env.TART_HOME, 'vms/vm-01/config.json'), 'utf8')).macAddress;
  process.env.TART_SIM_LEASES = env.TART_SIM_LEASES;
  const leases = await import(pathToFileURL(join(root, 'src/sim/leases.ts')).href).catch(() => null);
  if (leases) leases.grantLease(mac, 'vm-01');
  else {
    // Without TypeScript loading support, write the lease record directly (same format as leases.ts).
    const { writeFileSync } = await import('node:fs');
    writeFileSync(env.TART_SIM_LEASES, JSON.stringify({ version: 1, macs: { [mac]: '127.64.0.2' }, leases: [{ mac, ip: '127.64.0.2', name: 'vm-01', expiresAt: Date.now() + 3600_000 }] }));
  }
  const ip = sim(['ip', 'vm-01']).trim();
  const listed = JSON.parse(sim(['list', '--format', 'json'])).length;

  const node = process.execPath;
  const base = measure(node, ['-e', '0']);
  const list = measure(bin, ['list', '--format', 'json']);
  const ipRun = measure(bin, ['ip', 'vm-01']);
  const row = (name, m) =>
    `${name.padEnd(34)} median ${m.median.toFixed(1).padStart(6)} ms  (min ${m.min.toFixed(1)}, max ${m.max.toFixed(1)})  ratio ${(m.median / base.median).toFixed(2)}x`;
  process.stdout.write(`tart-sim start-up, ${runs} runs each, ${listed} list entries, ip -> ${ip}\n`);
  process.stdout.write(`${row('node -e 0', base)}\n${row('tart-sim list --format json', list)}\n${row('tart-sim ip vm-01 (stopped, leased)', ipRun)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
