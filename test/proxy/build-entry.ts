// Bundles the standalone proxy daemon (src/proxy/main.ts) into a temp dir once per test file,
// the same way scripts/build.mjs does for dist/proxy/tk-proxy.js.
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function buildProxyEntry(src = 'src/proxy/main.ts', name = 'tk-proxy'): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'tk-proxy-build-'));
  await build({
    entryPoints: { [name]: join(root, src) },
    outdir: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __tkCreateRequire } from 'node:module'; const require = __tkCreateRequire(import.meta.url);" },
  });
  return join(out, `${name}.js`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}
