#!/usr/bin/env node
// Grid renderer comparison (measured before choosing): ink-table (@alcalzone/ink-table, the
// project's `ink-table` alias) vs our VmTable, rendering the same visible rows of the 100-VM board
// with Ink's renderToString. Prints ms per frame and what each can express.
// Usage: node bench/dashboard-table.mjs [--rows 40] [--frames 200]
import { build } from 'esbuild';
import { devtoolsShim } from '../scripts/build-options.mjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? Number(args[args.indexOf(`--${n}`) + 1]) : d);
const ROWS = opt('rows', 40);
const FRAMES = opt('frames', 200);
const work = mkdtempSync(join(tmpdir(), 'tk-bench-table-'));
const src = join(work, 'entry.tsx');
writeFileSync(
  src,
  `import { renderToString } from 'ink';
import { Table } from 'ink-table';
import { VmTable } from ${JSON.stringify(join(root, 'components/VmTable.tsx'))};
import { layoutColumns, changesText, relativeTime, diskText } from ${JSON.stringify(join(root, 'src/tui/format.ts'))};
import { makeVm } from ${JSON.stringify(join(root, 'test/fakes/fake-service.ts'))};
const NOW = Date.now();
const vms = Array.from({ length: ${ROWS} }, (_, i) => makeVm(i, {}, NOW));
const cols = layoutColumns(160);
function ours(sel) {
  return renderToString(<VmTable columns={cols} height={${ROWS}} empty="" rows={vms.map((vm, i) => ({ vm, changes: { changed: i % 4, ahead: 1, behind: 0 }, agent: 'idle', op: undefined, failure: undefined, selected: i === sel, now: NOW }))} />, { columns: 160 });
}
function theirs(sel) {
  const data = vms.map((vm, i) => ({ ' ': i === sel ? '>' : '', branch: vm.branch, vm: vm.status, agent: 'idle', phase: 'ready', changes: changesText({ changed: i % 4, ahead: 1, behind: 0 }), repo: vm.repo, ip: vm.ip ?? '-', used: relativeTime(vm.last_used, NOW), disk: diskText(vm) }));
  return renderToString(<Table data={data} />, { columns: 160 });
}
function time(fn) {
  for (let i = 0; i < 20; i++) fn(i % ${ROWS});
  const t = performance.now();
  for (let i = 0; i < ${FRAMES}; i++) fn(i % ${ROWS});
  return (performance.now() - t) / ${FRAMES};
}
const a = time(theirs);
const b = time(ours);
const ta = theirs(0).split('\\n').length;
const tb = ours(0).split('\\n').length;
console.log('grid renderer, ${ROWS} rows, 160 columns, ${FRAMES} frames each');
console.log('ink-table  ' + a.toFixed(2) + ' ms/frame, ' + ta + ' lines for ${ROWS} VMs (separator line between rows)');
console.log('VmTable    ' + b.toFixed(2) + ' ms/frame, ' + tb + ' lines for ${ROWS} VMs');
console.log('ratio ink-table/VmTable: ' + (a / b).toFixed(2));
`,
);
const out = join(work, 'entry.mjs');
await build({
  entryPoints: [src],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  jsx: 'automatic',
  logLevel: 'error',
  nodePaths: [join(root, 'node_modules')],
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [devtoolsShim],
  banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
});
await import(out);
rmSync(work, { recursive: true, force: true });
