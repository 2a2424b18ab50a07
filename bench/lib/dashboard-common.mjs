// Shared by bench/dashboard.mjs (fake backend) and bench/dashboard-sim.mjs (tart-sim): the bare
// Ink baseline app, bin/tk's dashboard launch settings, /proc readers and small statistics.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devtoolsShim } from '../../scripts/build-options.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
export const median = (xs) => pct(xs, 50);

/** `--name N` from the command line as a number, else `dflt`. */
export function numberOption(name, dflt) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
}

/** Fields of /proc/<pid>/stat: own CPU ticks (utime+stime) and those of reaped children (cutime+cstime). */
export function procTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const r = f.slice(f.lastIndexOf(')') + 2).split(' '); // r[0] is field 3 (state)
  return { self: Number(r[11]) + Number(r[12]), reaped: Number(r[13]) + Number(r[14]) };
}

export function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * How bin/tk launches the dashboard (its malloc setting and node flags), checked against bin/tk
 * itself so a benchmark cannot drift from what users run.
 */
export function dashboardLaunch() {
  const launcher = readFileSync(join(root, 'bin/tk'), 'utf8');
  if (!launcher.includes('export MALLOC_ARENA_MAX=2') || !launcher.includes('exec "$node" --max-semi-space-size=2 ')) {
    throw new Error('bin/tk no longer launches the dashboard with MALLOC_ARENA_MAX=2 and --max-semi-space-size=2: update bench/lib/dashboard-common.mjs');
  }
  return { env: { MALLOC_ARENA_MAX: '2' }, args: ['--max-semi-space-size=2'] };
}

/**
 * The baseline: a bare Ink app with the dashboard's render options, one <Text> that changes on a
 * key ('q' quits), bundled (stock Ink, no tk substitutions) to `<dir>/baseline.mjs`. It shows
 * "baseline <vms> VMs". TK_RENDER_LOG gets a line per render; SIGUSR2 writes memory figures to
 * TK_MEM_LOG.
 */
export async function bundleBaselineApp(dir, vms) {
  const src = join(dir, 'baseline.tsx');
  writeFileSync(
    src,
    `import { render, Text, useInput, useApp } from 'ink';
import { useState } from 'react';
import { openSync, appendFileSync, writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { ReadStream } from 'node:tty';
const log = process.env.TK_RENDER_LOG;
const memLog = process.env.TK_MEM_LOG;
if (memLog) process.on('SIGUSR2', () => writeFileSync(memLog, JSON.stringify({ mem: process.memoryUsage(), spaces: getHeapSpaceStatistics().map((x) => [x.space_name, Math.round(x.space_size / 1e6), Math.round(x.space_used_size / 1e6)]) })));
function App() {
  const [n, setN] = useState(0);
  const { exit } = useApp();
  useInput((input) => { if (input === 'q') exit(); else setN((x) => x + 1); });
  return <Text>baseline ${vms} VMs: keys {n}</Text>;
}
const stdin = new ReadStream(openSync('/dev/tty', 'r'));
const inst = render(<App />, { stdin, alternateScreen: true, exitOnCtrlC: false, patchConsole: false, maxFps: 120, incrementalRendering: true,
  onRender: log ? (m) => appendFileSync(log, Date.now() + ' ' + m.renderTime + '\\n') : undefined });
await inst.waitUntilExit();
stdin.destroy();
process.exit(0);
`,
  );
  const out = join(dir, 'baseline.mjs');
  await build({
    entryPoints: [src],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    jsx: 'automatic',
    logLevel: 'error',
    external: ['node-pty', 'cpu-features', '*.node'],
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [devtoolsShim],
    nodePaths: [join(root, 'node_modules')],
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
  });
  return out;
}
