// `tk list --json` start-up against `node -e 0`, both measured here, in this run.
// A stand-in tart (test/fixtures/bin/tart-recorded, a shell script printing recorded JSON) is
// used through TK_TART so that only tk is measured. 20 runs each (after 2 warm-ups), medians.
// Usage: node bench/startup.mjs [runs]   (builds dist/ first)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
const env = {
  ...process.env,
  TK_HOME: home,
  TK_TART: join(root, 'test/fixtures/bin/tart-recorded'),
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

function measure(label, file, args) {
  for (let i = 0; i < 2; i++) time(file, args); // warm-up (page cache, compile cache)
  const xs = [];
  let out = '';
  for (let i = 0; i < runs; i++) {
    const r = time(file, args);
    xs.push(r.ms);
    out = r.stdout;
  }
  return { label, median: median(xs), min: Math.min(...xs), out };
}

// The floor for any Node CLI that asks tart: start Node (ESM) and run the stand-in tart once.
const floorScript = join(home, 'floor.mjs');
writeFileSync(floorScript, `import { execFile } from 'node:child_process';\nexecFile(${JSON.stringify(env.TK_TART)}, ['list', '--format', 'json'], (e, out) => process.stdout.write(out));\n`);

const base = measure('node -e 0', process.execPath, ['-e', '0']);
const floor = measure('node floor.mjs (ESM + tart list)', process.execPath, [floorScript]);
const direct = measure('node dist/tk/tk.js list --json', process.execPath, [join(root, 'dist/tk/tk.js'), 'list', '--json']);
const launcher = measure('bin/tk list --json', join(root, 'bin/tk'), ['list', '--json']);
const base2 = measure('node -e 0 (again)', process.execPath, ['-e', '0']);
const baseline = Math.min(base.median, base2.median);

const listed = JSON.parse(direct.out);
if (!Array.isArray(listed) || listed.length < 10) throw new Error(`unexpected list output: ${direct.out.slice(0, 200)}`);

for (const m of [base, base2, floor, direct, launcher]) {
  console.log(`${m.label.padEnd(34)} median ${m.median.toFixed(1)} ms  (min ${m.min.toFixed(1)} ms, ${runs} runs)`);
}
console.log(`ratio (node dist/tk/tk.js list --json) / (node -e 0): ${(direct.median / baseline).toFixed(2)}x  (goal <= 1.5x)`);
console.log(`ratio (bin/tk list --json) / (node -e 0):             ${(launcher.median / baseline).toFixed(2)}x`);
console.log(`tk's own cost over the floor (ESM start + one tart list): ${(direct.median - floor.median).toFixed(1)} ms`);
