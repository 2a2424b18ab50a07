// Bundles a TypeScript entry (a pty fixture) to a temporary .mjs with esbuild, once per process.
import { build } from 'esbuild';
import { devtoolsShim, inkOutputPlugin, yogaNoFetchPlugin } from '../../scripts/build-options.mjs';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const cache = new Map<string, Promise<string>>();

export function buildFixture(entry: string): Promise<string> {
  let p = cache.get(entry);
  if (!p) {
    const dir = join(tmpdir(), `tk-fixtures-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, basename(entry).replace(/\.tsx?$/, '.mjs'));
    p = build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      jsx: 'automatic',
      logLevel: 'error',
      external: ['node-pty', 'cpu-features', '*.node'],
      // The Ink substitutions of the production build (so pty tests run the frame buffer users
      // run), and Ink's react-devtools-core import (only when DEV=true) replaced by an empty module.
      plugins: [inkOutputPlugin, yogaNoFetchPlugin, devtoolsShim],
      define: { 'process.env.NODE_ENV': '"production"' },
      banner: { js: "import { createRequire as __tkCreateRequire } from 'node:module'; const require = __tkCreateRequire(import.meta.url);" },
    }).then(() => outfile);
    cache.set(entry, p);
  }
  return p;
}
