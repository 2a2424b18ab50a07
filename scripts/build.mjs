// Builds dist/ with esbuild: one bundle per executable, code-split so that a command
// loads only what it needs (the dashboard's ink/react/yoga load only for the dashboard).
import { build } from 'esbuild';
import { cp, mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { esbuildOptions } from './build-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');

async function exists(p) {
  try { await stat(p); return true; } catch { return false; }
}

await rm(join(out, 'tk'), { recursive: true, force: true });
await rm(join(out, 'sim'), { recursive: true, force: true });
await rm(join(out, 'proxy'), { recursive: true, force: true });
const common = esbuildOptions;
const entries = [
  { entryPoints: { tk: join(root, 'src/cli/main.ts') }, outdir: join(out, 'tk') },
  { entryPoints: { 'tart-sim': join(root, 'src/sim/main.ts') }, outdir: join(out, 'sim') },
  // The credential proxy daemon, spawned detached without the CLI (src/proxy/lifecycle.ts).
  { entryPoints: { 'tk-proxy': join(root, 'src/proxy/main.ts') }, outdir: join(out, 'proxy') },
];
for (const e of entries) {
  const entry = Object.values(e.entryPoints)[0];
  if (await exists(entry)) await build({ ...common, ...e });
}
// Files the simulator installs into its guests (shell scripts, configs).
const assets = join(root, 'src/sim/assets');
if (await exists(assets)) {
  await mkdir(join(out, 'sim'), { recursive: true });
  await cp(assets, join(out, 'sim/assets'), { recursive: true });
}
