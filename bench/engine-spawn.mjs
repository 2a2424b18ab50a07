#!/usr/bin/env node
// Spawn time on tart-sim split by phase (from the VM log's phase markers), SSH round trips per
// provisioning, and host processes per spawn (tart and git invocations, counted by wrappers).
// Ratios are against baselines measured in the same run (`node -e 0`, `tart-sim list`).
// Usage: node bench/engine-spawn.mjs [runs=3]   (build first: node scripts/build.mjs)
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const TK = join(ROOT, 'bin/tk');
const SIM = process.env.TK_TEST_TART ?? (existsSync(join(ROOT, 'src/sim/main.ts')) ? join(ROOT, 'bin/tart-sim') : '/work/wt-sim/bin/tart-sim');
const runs = Number(process.argv[2] ?? 3);

const base = mkdtempSync(join(tmpdir(), 'tk-bench-'));
const home = join(base, 'tkhome');
mkdirSync(home);
mkdirSync(join(base, 'bin'));
const calls = join(base, 'calls.log');
writeFileSync(join(base, 'bin/tart'), `#!/bin/sh\necho "tart $1" >> ${calls}\nexec ${SIM} "$@"\n`);
const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
writeFileSync(join(base, 'bin/git'), `#!/bin/sh\necho "git $1" >> ${calls}\nexec ${realGit} "$@"\n`);
chmodSync(join(base, 'bin/tart'), 0o755);
chmodSync(join(base, 'bin/git'), 0o755);
writeFileSync(join(home, 'config.toml'), `agent_install_command = ""\ncredential_proxy_bind = "127.0.0.1"\ncredential_proxy_port = ${30000 + Math.floor(Math.random() * 20000)}\nbase_image = "ghcr.io/cirruslabs/ubuntu:latest"\nshare_claude_dirs = []\n`);
const env = { PATH: `${join(base, 'bin')}:${process.env.PATH}`, HOME: base, TK_HOME: home, TK_TART: join(base, 'bin/tart'), TART_HOME: join(base, 'tart'), TART_SIM_LEASES: join(base, 'leases.json'), GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
const repo = join(base, 'repo');
execFileSync(realGit, ['init', '-q', '-b', 'main', repo]);
execFileSync(realGit, ['-C', repo, 'commit', '-q', '--allow-empty', '-m', 'init'], { env });

const time = (file, args, opts = {}) => {
  const t0 = performance.now();
  const out = execFileSync(file, args, { env, cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  return { ms: performance.now() - t0, out };
};
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const countCalls = () => {
  const lines = existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) : [];
  rmSync(calls, { force: true });
  const by = {};
  for (const l of lines) by[l] = (by[l] ?? 0) + 1;
  return { total: lines.length, by };
};

// Warm the image cache (first clone pulls from the sim registry) and the proxy daemon.
time(TK, ['spawn', 'warm', '--no-interactive']);
countCalls();

const nodeBase = median(Array.from({ length: 5 }, () => time(process.execPath, ['-e', '0']).ms));
const listBase = median(Array.from({ length: 5 }, () => time(SIM, ['list', '--format', 'json']).ms));
countCalls();

const phases = {};
const kinds = { created: [], started: [], reconnected: [] };
const procs = {};
let roundTrips = null;
for (let i = 0; i < runs; i++) {
  const b = `bench-${i}`;
  const name = `tachikoma-repo-${b}`;
  for (const [kind, pre] of [['created', null], ['reconnected', null], ['started', 'halt']]) {
    if (pre) time(TK, [pre, name]);
    countCalls();
    const logFile = join(home, 'logs', `${name}.log`);
    const before = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
    const r = time(TK, ['spawn', b, '--no-interactive', '--json']);
    if (JSON.parse(r.out).data.kind !== kind) throw new Error(`expected ${kind}`);
    kinds[kind].push(r.ms);
    procs[kind] = countCalls();
    const log = readFileSync(logFile, 'utf8').slice(before);
    for (const m of log.matchAll(/^@@tk phase=(\S+) event=end result=(\w+) at=\S+ ms=(\d+)/gm)) {
      (phases[`${kind}:${m[1]}`] ??= []).push(Number(m[3]));
    }
    const rt = /in (\d+) SSH round trips/.exec(log);
    if (rt && kind === 'created') roundTrips = Number(rt[1]);
  }
}
const fmt = (ms) => `${ms.toFixed(0).padStart(5)} ms`;
console.log(`baselines: node -e 0 ${fmt(nodeBase)}, tart-sim list ${fmt(listBase)}   (${runs} runs, medians)`);
for (const [k, v] of Object.entries(kinds)) console.log(`spawn (${k.padEnd(11)}) ${fmt(median(v))}  = ${(median(v) / nodeBase).toFixed(1)}x node -e 0, ${(median(v) / listBase).toFixed(1)}x tart list`);
console.log('phases (ms, median):');
for (const [k, v] of Object.entries(phases)) console.log(`  ${k.padEnd(28)} ${median(v)}`);
console.log(`SSH: 1 connection, ${roundTrips} exec round trips for a full provisioning (the Rust tool: ~23 tart exec processes)`);
for (const [k, v] of Object.entries(procs)) console.log(`host processes per spawn (${k}): ${v.total}  ${JSON.stringify(v.by)}`);

// Clean up: stop every VM and the proxy, remove the temp tree.
try {
  const vms = JSON.parse(execFileSync(SIM, ['list', '--format', 'json'], { env, encoding: 'utf8' }));
  for (const v of vms) if (v.Source === 'local' && v.Running) execFileSync(SIM, ['stop', v.Name], { env });
} catch {}
try { execFileSync(TK, ['proxy', 'stop'], { env, cwd: repo, stdio: 'ignore' }); } catch {}
rmSync(base, { recursive: true, force: true });
