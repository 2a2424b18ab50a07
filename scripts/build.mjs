// Builds dist/ with esbuild: one bundle per executable, code-split so that a command
// loads only what it needs (the dashboard's ink/react/yoga load only for the dashboard).
import { build } from 'esbuild';
import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { esbuildOptions } from './build-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');

async function exists(p) {
  try { await stat(p); return true; } catch { return false; }
}

// Shared with bench/dashboard.mjs, which must measure the same bundle users run.
const common = esbuildOptions;
const entries = [
  { entryPoints: { tk: join(root, 'src/cli/main.ts') }, outdir: join(out, 'tk') },
  { entryPoints: { 'tart-sim': join(root, 'src/sim/main.ts') }, outdir: join(out, 'sim') },
  // The credential proxy daemon, spawned detached without the CLI (src/proxy/lifecycle.ts).
  { entryPoints: { 'tk-proxy': join(root, 'src/proxy/main.ts') }, outdir: join(out, 'proxy') },
];
// Build into a staging directory, then move each file into place with rename() (atomic per file),
// chunks first and entry files last. A tk, tart-sim or proxy process already running (or a test
// run in parallel) never sees a missing or half-written file; chunks of older builds stay until
// they are an hour old, so a running process can still load its lazy chunks.
async function files(dir) {
  const found = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) found.push(...(await files(p)));
    else found.push(p);
  }
  return found;
}
const staging = join(out, `.staging-${process.pid}`);
try {
  for (const e of entries) {
    const entry = Object.values(e.entryPoints)[0];
    if (!(await exists(entry))) continue;
    const dest = e.outdir;
    const tmp = join(staging, relative(out, dest));
    await build({ ...common, ...e, outdir: tmp, chunkNames: 'chunks/[name]-[hash]' });
    const isChunk = (f) => Number(f.includes('/chunks/'));
    const built = (await files(tmp)).sort((a, b) => isChunk(b) - isChunk(a));
    const keep = new Set();
    for (const f of built) {
      const target = join(dest, relative(tmp, f));
      keep.add(target);
      await mkdir(dirname(target), { recursive: true });
      await rename(f, target);
    }
    const chunks = join(dest, 'chunks');
    if (await exists(chunks)) {
      for (const f of await files(chunks)) {
        if (!keep.has(f) && Date.now() - (await stat(f)).mtimeMs > 3600_000) await rm(f, { force: true });
      }
    }
  }
} finally {
  await rm(staging, { recursive: true, force: true });
}
// Files the simulator installs into its guests (shell scripts, configs).
const assets = join(root, 'src/sim/assets');
if (await exists(assets)) {
  await mkdir(join(out, 'sim'), { recursive: true });
  await cp(assets, join(out, 'sim/assets'), { recursive: true, force: true });
}
