// Builds dist/ with esbuild: one bundle per executable, code-split so that a command
// loads only what it needs (the dashboard's ink/react/yoga load only for the dashboard).
import { build } from 'esbuild';
import { cp, mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');

// CommonJS dependencies (ssh2) call require() for Node built-ins and read __dirname/__filename at
// load time (ssh2's poly1305 wasm loader); give every ESM chunk those.
const banner = {
  js:
    "import { createRequire as __tkCreateRequire } from 'node:module'; const require = __tkCreateRequire(import.meta.url);" +
    " const __filename = decodeURIComponent(new URL(import.meta.url).pathname); const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
};

async function exists(p) {
  try { await stat(p); return true; } catch { return false; }
}

await rm(join(out, 'tk'), { recursive: true, force: true });
await rm(join(out, 'sim'), { recursive: true, force: true });
await rm(join(out, 'proxy'), { recursive: true, force: true });
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  splitting: true,
  sourcemap: 'linked',
  banner,
  legalComments: 'none',
  logLevel: 'warning',
  // Optional native speed-ups of ssh2; it falls back to pure JS without them.
  // react-devtools-core: Ink imports it only when DEV=true (not a dependency of tk).
  external: ['cpu-features', '*.node', 'node-pty', 'react-devtools-core'],
  define: { 'process.env.NODE_ENV': '"production"' },
  jsx: 'automatic',
};
const entries = [
  { entryPoints: { tk: join(root, 'src/cli/main.ts') }, outdir: join(out, 'tk') },
  { entryPoints: { 'tart-sim': join(root, 'src/sim/main.ts') }, outdir: join(out, 'sim') },
  // The credential proxy daemon, spawned detached without the CLI (src/proxy/lifecycle.ts).
  { entryPoints: { 'tk-proxy': join(root, 'src/proxy/main.ts') }, outdir: join(out, 'proxy') },
];
for (const e of entries) {
  const entry = Object.values(e.entryPoints)[0];
  if (await exists(entry)) await build({ ...common, ...e, chunkNames: 'chunks/[name]-[hash]' });
}
// Files the simulator installs into its guests (shell scripts, configs).
const assets = join(root, 'src/sim/assets');
if (await exists(assets)) {
  await mkdir(join(out, 'sim'), { recursive: true });
  await cp(assets, join(out, 'sim/assets'), { recursive: true });
}
