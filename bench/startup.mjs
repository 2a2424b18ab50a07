// `tk list --json` start-up against `node -e 0`, both measured here, in this run.
// A stand-in tart is used through TK_TART so that only tk is measured: the cheapest realistic one,
// a /bin/sh script that prints the recorded `tart list --format json` output with the printf
// built-in (one exec; no cat). Its own start-up is measured too and reported separately: tk runs
// it once, so the strict ratio includes it. 20 rounds (after 2 warm-ups), interleaved, medians.
// Usage: node bench/startup.mjs [runs]   (builds dist/ first)
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 20);
execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });

const home = mkdtempSync(join(tmpdir(), 'tk-bench-'));
const vms = Array.from({ length: 10 }, (_, i) => ({
  name: `tachikoma-myapp-b${i}`,
  repo: 'myapp',
  branch: `b${i}`,
  worktree_path: `/src/myapp-b${i}`,
  created_at: '2026-03-01T08:00:00.000Z',
  last_used: '2026-03-02T09:30:00.000Z',
  status: 'running',
  ip: null,
}));
writeFileSync(join(home, 'state.json'), JSON.stringify({ version: 2, vms }, null, 2));
const recorded = readFileSync(join(root, 'test/fixtures/tart-list.json'), 'utf8').trim();
const tart = join(home, 'tart');
writeFileSync(
  tart,
  `#!/bin/sh\n[ "$1" = list ] || { echo "stand-in tart: unsupported: $*" >&2; exit 1; }\nprintf '%s\\n' '${recorded.replaceAll("'", "'\\''")}'\n`,
);
chmodSync(tart, 0o755);
const env = {
  ...process.env,
  TK_HOME: home,
  TK_TART: tart,
  NODE_COMPILE_CACHE: join(home, 'compile-cache'),
};

function time(file, args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(file, args, { env, cwd: home, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Interleaved: each round runs every command once, so load from other processes on the machine
// weighs on all of them alike (measuring one command's runs in a block, then the next, did not).
function measureAll(cmds) {
  for (let i = 0; i < 2; i++) for (const c of cmds) time(c.file, c.args); // warm-up (page cache, compile cache)
  const xs = cmds.map(() => []);
  const outs = cmds.map(() => '');
  for (let i = 0; i < runs; i++) {
    cmds.forEach((c, j) => {
      const r = time(c.file, c.args);
      xs[j].push(r.ms);
      outs[j] = r.stdout;
    });
  }
  return cmds.map((c, j) => ({ label: c.label, median: median(xs[j]), min: Math.min(...xs[j]), out: outs[j] }));
}

// The floor for any Node CLI that asks tart: start Node (ESM) and run the stand-in tart once.
const floorScript = join(home, 'floor.mjs');
writeFileSync(floorScript, `import { execFile } from 'node:child_process';\nexecFile(${JSON.stringify(env.TK_TART)}, ['list', '--format', 'json'], (e, out) => process.stdout.write(out));\n`);

const [base, tartAlone, floor, direct, launcher] = measureAll([
  { label: 'node -e 0', file: process.execPath, args: ['-e', '0'] },
  { label: 'stand-in tart list (alone)', file: tart, args: ['list', '--format', 'json'] },
  { label: 'node floor.mjs (ESM + tart list)', file: process.execPath, args: [floorScript] },
  { label: 'node dist/tk/tk.js list --json', file: process.execPath, args: [join(root, 'dist/tk/tk.js'), 'list', '--json'] },
  { label: 'bin/tk list --json', file: join(root, 'bin/tk'), args: ['list', '--json'] },
]);
const baseline = base.median;
if (JSON.stringify(JSON.parse(tartAlone.out)) !== JSON.stringify(JSON.parse(recorded))) throw new Error('the stand-in tart printed something else');

const listed = JSON.parse(direct.out);
if (!Array.isArray(listed) || listed.length < 10) throw new Error(`unexpected list output: ${direct.out.slice(0, 200)}`);

for (const m of [base, tartAlone, floor, direct, launcher]) {
  console.log(`${m.label.padEnd(34)} median ${m.median.toFixed(1)} ms  (min ${m.min.toFixed(1)} ms, ${runs} runs)`);
}
console.log(`ratio (node dist/tk/tk.js list --json) / (node -e 0): ${(direct.median / baseline).toFixed(2)}x  (goal <= 1.5x)`);
console.log(`ratio (bin/tk list --json) / (node -e 0):             ${(launcher.median / baseline).toFixed(2)}x`);
console.log(`ratio without tart's own start-up ((tk.js - tart alone) / node -e 0): ${((direct.median - tartAlone.median) / baseline).toFixed(2)}x`);
console.log(`ratio of the floor (ESM start + one tart list) / (node -e 0):       ${(floor.median / baseline).toFixed(2)}x`);
console.log(`tk's own cost over the floor (ESM start + one tart list): ${(direct.median - floor.median).toFixed(1)} ms`);
