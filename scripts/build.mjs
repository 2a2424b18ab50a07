// Builds dist/ with esbuild: one bundle per executable, code-split so that a command
// loads only what it needs (the dashboard's ink/react/yoga load only for the dashboard).
import { build } from 'esbuild';
import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { esbuildOptions } from './build-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// --out DIR: build elsewhere (tests build their own copy); --only tk: just the tk CLI.
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const out = arg('--out') ?? join(root, 'dist');
const only = arg('--only');

async function exists(p) {
  try { await stat(p); return true; } catch { return false; }
}

// Shared with bench/dashboard.mjs, which must measure the same bundle users run.
const common = esbuildOptions;
// dist/tk/tk.js (src/cli/tk.ts, tiny) loads dist/tk/list.js for `tk list` / `tk ls` and
// dist/tk/main.js for everything else. list.js is main.ts in one file (no code splitting) with
// src/cli/entries-list.ts (the list command only) in place of entries.ts: loading ~18 chunks cost
// ~7 ms of start-up. smol-toml (only needed when a config file exists) stays out of it: list.js
// imports the split build's toml.js.
const tomlEntry = fileURLToPath(import.meta.resolve('smol-toml'));
const listOnly = {
  name: 'tk-list-only',
  setup(b) {
    b.onResolve({ filter: /^\.\/entries\.js$/ }, (a) =>
      a.importer === join(root, 'src/cli/main.ts') ? { path: join(root, 'src/cli/entries-list.ts') } : undefined,
    );
    b.onResolve({ filter: /^smol-toml$/ }, () => ({ path: './toml.js', external: true }));
  },
};
// Node built-ins through process.getBuiltinModule() instead of ESM imports: an ESM import of a
// built-in builds its whole export namespace, which runs lazy getters (node:fs loads fs/promises,
// readline and more; node:net its BlockList/SocketAddress). ~2-3 ms of start-up.
const builtinsByGetter = {
  name: 'tk-builtins-by-getter',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, namespace: 'tk-builtin' }));
    // One ESM export per data property, each a pure read that esbuild drops when nothing imports
    // it. Accessors (lazy getters such as fs.promises, crypto.subtle) are left out: importing one
    // fails the build instead of running it at start-up.
    b.onLoad({ filter: /.*/, namespace: 'tk-builtin' }, (a) => {
      const descs = Object.getOwnPropertyDescriptors(process.getBuiltinModule(a.path));
      const names = Object.keys(descs).filter((k) => 'value' in descs[k] && k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k));
      return {
        contents:
          `const m = process.getBuiltinModule(${JSON.stringify(a.path)});\nconst get = (k) => m[k];\nexport default m;\n` +
          names.map((k) => `export const ${k} = /* @__PURE__ */ get(${JSON.stringify(k)});`).join('\n'),
        loader: 'js',
      };
    });
  },
};
const entries = [
  { entryPoints: { main: join(root, 'src/cli/main.ts'), toml: tomlEntry }, outdir: join(out, 'tk') },
  // No CommonJS dependency in these two: no createRequire banner (node:module costs load time).
  { entryPoints: { list: join(root, 'src/cli/main.ts') }, outdir: join(out, 'tk'), splitting: false, plugins: [listOnly, builtinsByGetter], banner: {} },
  { entryPoints: { tk: join(root, 'src/cli/tk.ts') }, outdir: join(out, 'tk'), splitting: false, plugins: [builtinsByGetter], banner: {} },
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
const keep = new Set();
try {
  for (const e of entries) {
    const entry = Object.values(e.entryPoints)[0];
    if (!(await exists(entry))) continue;
    if (only && relative(out, e.outdir) !== only) continue;
    const dest = e.outdir;
    const tmp = join(staging, relative(out, dest), Object.keys(e.entryPoints)[0]);
    await build({ ...common, ...e, outdir: tmp, chunkNames: 'chunks/[name]-[hash]' });
    const isChunk = (f) => Number(f.includes('/chunks/'));
    const built = (await files(tmp)).sort((a, b) => isChunk(b) - isChunk(a));
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
if ((!only || only === 'sim') && (await exists(assets))) {
  await mkdir(join(out, 'sim'), { recursive: true });
  await cp(assets, join(out, 'sim/assets'), { recursive: true, force: true });
}
