// Builds src/cli/main.ts into a temp dir (code-split like scripts/build.mjs) so that tests of the
// executable never race other test files over dist/.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { tempDir } from '../helpers/git-repo.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function buildTk(): Promise<string> {
  const out = tempDir('tk-cli-build-');
  await build({
    entryPoints: { tk: join(root, 'src/cli/main.ts') },
    outdir: out,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'error',
    chunkNames: 'chunks/[name]-[hash]',
    external: ['cpu-features', '*.node', 'node-pty', 'react-devtools-core'],
    define: { 'process.env.NODE_ENV': '"production"' },
    jsx: 'automatic',
    banner: {
      js:
        "import { createRequire as __tkCreateRequire } from 'node:module'; const require = __tkCreateRequire(import.meta.url);" +
        " const __filename = decodeURIComponent(new URL(import.meta.url).pathname); const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    },
  });
  return join(out, 'tk.js');
}
