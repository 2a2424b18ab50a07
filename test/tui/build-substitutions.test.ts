// The production build swaps Ink's frame buffer, string-width, widest-line and sanitizeAnsi for
// the cached ones (src/tui/ink-output.ts) and keeps Yoga from fetch()ing its wasm. These are
// performance changes that nothing else would notice going missing: check the bundle.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { esbuildOptions } from '../../scripts/build-options.mjs';

describe('build substitutions', () => {
  it("bundles tk's cached frame buffer and helpers in place of Ink's, and Yoga without fetch", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-build-subst-'));
    try {
      const r = await build({
        ...esbuildOptions,
        stdin: { contents: "export { render, Text } from 'ink';\n", resolveDir: join(import.meta.dirname, '../..'), loader: 'ts' },
        outdir: dir,
        write: false,
        metafile: true,
        splitting: false,
        sourcemap: false,
        logLevel: 'silent',
      });
      const inputs = Object.keys(r.metafile.inputs);
      expect(inputs.some((p) => p.endsWith('src/tui/ink-output.ts'))).toBe(true);
      expect(inputs.some((p) => /node_modules\/ink\/build\/output\.js$/.test(p))).toBe(false);
      expect(inputs.some((p) => /node_modules\/widest-line\//.test(p))).toBe(false);
      expect(inputs.some((p) => p.startsWith('tk-sanitize:'))).toBe(true);
      expect(inputs.some((p) => p.startsWith('tk-string-width:'))).toBe(true);
      const js = r.outputFiles.map((f) => f.text).join('\n');
      expect(js).toContain('yoga');
      expect(js).not.toContain('"function"!=typeof fetch');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
