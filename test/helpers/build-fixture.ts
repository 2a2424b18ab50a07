// Bundles a TypeScript entry (a pty fixture) to a temporary .mjs with esbuild, once per process.
import { build } from 'esbuild';
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
      // Ink imports react-devtools-core only when DEV=true and it is installed: replace it with an empty module.
      plugins: [
        {
          name: 'devtools-shim',
          setup(b) {
            b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'devtools-shim' }));
            b.onLoad({ filter: /.*/, namespace: 'devtools-shim' }, () => ({ contents: 'export default { initialize() {}, connectToDevTools() {} };' }));
          },
        },
      ],
      define: { 'process.env.NODE_ENV': '"production"' },
      banner: { js: "import { createRequire as __tkCreateRequire } from 'node:module'; const require = __tkCreateRequire(import.meta.url);" },
    }).then(() => outfile);
    cache.set(entry, p);
  }
  return p;
}
