import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Ink's frame buffer, swapped for src/tui/ink-output.ts (same output, cached across frames: see
 * that file and test/tui/ink-output.test.ts); Ink's `widest-line`, `string-width` and sanitizeAnsi
 * calls get the caches there too. Only imports made by Ink's own modules are redirected.
 */
const inkOutput = join(root, 'src/tui/ink-output.ts');
const fromInk = (importer) => /[\\/]node_modules[\\/]ink[\\/]build[\\/][^\\/]+\.js$/.test(importer);
export const inkOutputPlugin = {
  name: 'ink-output',
  setup(b) {
    b.onResolve({ filter: /^\.\/output\.js$/ }, (a) => (fromInk(a.importer) ? { path: inkOutput } : undefined));
    b.onResolve({ filter: /^widest-line$/ }, (a) => (fromInk(a.importer) ? { path: 'widest-line', namespace: 'tk-widest-line' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'tk-widest-line' }, () => ({
      contents: `export { widestLine as default } from ${JSON.stringify(inkOutput)};`,
      resolveDir: root,
      loader: 'js',
    }));
    b.onResolve({ filter: /^string-width$/ }, (a) => (fromInk(a.importer) ? { path: 'string-width', namespace: 'tk-string-width' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'tk-string-width' }, () => ({
      contents: `export { cachedStringWidth as default } from ${JSON.stringify(inkOutput)};`,
      resolveDir: root,
      loader: 'js',
    }));
    // Ink sanitizes every text node's text on every frame: the same strings, cached.
    b.onResolve({ filter: /^\.\/sanitize-ansi\.js$/ }, (a) =>
      fromInk(a.importer) && !a.importer.endsWith('sanitize-ansi.js') ? { path: join(dirname(a.importer), 'sanitize-ansi.js'), namespace: 'tk-sanitize' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'tk-sanitize' }, (a) => ({
      contents: `import sanitize from ${JSON.stringify(a.path)};\nimport { cachedStringFunction } from ${JSON.stringify(inkOutput)};\nexport default cachedStringFunction('sanitizeAnsi', sanitize);`,
      resolveDir: root,
      loader: 'js',
    }));
  },
};

/**
 * Yoga's Emscripten loader (used by Ink) decodes its embedded base64 wasm itself when `fetch` is
 * not a function, and otherwise fetch()es the data: URL, which makes Node load its bundled undici
 * (~0.8 MB of source, ~40 ms and a few MB of heap) just for that. Make the loader take its own
 * decoding path. The build fails if the loader's code changes shape (a yoga-layout upgrade).
 */
export const yogaNoFetchPlugin = {
  name: 'yoga-no-fetch',
  setup(b) {
    b.onLoad({ filter: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, async (a) => {
      const { readFile } = await import('node:fs/promises');
      const src = await readFile(a.path, 'utf8');
      const probe = '"function"!=typeof fetch';
      const n = src.split(probe).length - 1;
      if (n !== 2) throw new Error(`yoga-no-fetch: expected 2 fetch checks in ${a.path}, found ${n}; review scripts/build-options.mjs`);
      return { contents: src.replaceAll(probe, '!0'), loader: 'js' };
    });
  },
};

// esbuild options shared by scripts/build.mjs (the bundles users run) and the benchmarks that must
// measure the same code (bench/dashboard.mjs), so both get the production React build, the same
// code splitting and the same externals.
export const esbuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  splitting: true,
  sourcemap: 'linked',
  // CommonJS dependencies (ssh2) call require() for Node built-ins and read __dirname/__filename at
  // load time (ssh2's poly1305 wasm loader); give every ESM chunk those.
  banner: {
    js:
      "import { createRequire as __tkCreateRequire } from 'node:module'; const require = __tkCreateRequire(import.meta.url);" +
      " const __filename = decodeURIComponent(new URL(import.meta.url).pathname); const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
  },
  legalComments: 'none',
  logLevel: 'warning',
  // Optional native speed-ups of ssh2; it falls back to pure JS without them.
  // react-devtools-core: Ink imports it only when DEV=true (not a dependency of tk).
  external: ['cpu-features', '*.node', 'node-pty', 'react-devtools-core'],
  define: { 'process.env.NODE_ENV': '"production"' },
  jsx: 'automatic',
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [inkOutputPlugin, yogaNoFetchPlugin],
};

/**
 * For one-file bundles written outside dist/ (benchmarks): Ink imports react-devtools-core only
 * when DEV=true; replace it with an empty module so the bundle needs no such package.
 */
export const devtoolsShim = {
  name: 'devtools-shim',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'x', namespace: 'devtools-shim' }));
    b.onLoad({ filter: /.*/, namespace: 'devtools-shim' }, () => ({ contents: 'export default {};' }));
  },
};
