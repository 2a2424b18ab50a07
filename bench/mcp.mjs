// tk mcp overhead, measured against a baseline in the same run:
//  1. start-up: spawn -> initialize answered, for the server over the fake service vs. `node -e 0`;
//  2. round trip of tools/call `list` (tk's tool path: zod validation, service, structured + text result)
//     vs. the protocol's own `ping` on the same connection.
// Usage: node bench/mcp.mjs [calls=300]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const calls = Number(process.argv[2] ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'tk-mcp-bench-'));
const bundle = join(dir, 'run-server.mjs');
await build({
  entryPoints: [fileURLToPath(new URL('../test/mcp/fixtures/run-server.ts', import.meta.url))],
  outfile: bundle, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (ns) => Number(ns) / 1e6;

function startServer() {
  const child = spawn(process.execPath, [bundle], { env: { ...process.env, FAKE_ROOT: join(dir, 'root') }, stdio: ['pipe', 'pipe', 'ignore'] });
  let buf = '';
  const waiters = new Map();
  child.stdout.setEncoding('utf8').on('data', (c) => {
    buf += c;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (msg.id !== undefined && waiters.has(msg.id)) { waiters.get(msg.id)(msg); waiters.delete(msg.id); }
    }
  });
  let id = 0;
  const request = (method, params) => new Promise((resolve) => {
    id += 1;
    waiters.set(id, resolve);
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
  });
  return { child, request };
}

async function startup() {
  const t0 = process.hrtime.bigint();
  const s = startServer();
  await s.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '0' } });
  const t = ms(process.hrtime.bigint() - t0);
  s.child.stdin.end();
  await new Promise((r) => s.child.on('exit', r));
  return t;
}
async function bare() {
  const t0 = process.hrtime.bigint();
  const c = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => c.on('exit', r));
  return ms(process.hrtime.bigint() - t0);
}

const up = [], base = [];
for (let i = 0; i < 7; i++) { base.push(await bare()); up.push(await startup()); }

const s = startServer();
await s.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '0' } });
s.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
const ping = [], list = [];
for (let i = 0; i < calls; i++) {
  let t0 = process.hrtime.bigint();
  await s.request('ping', {});
  ping.push(ms(process.hrtime.bigint() - t0));
  t0 = process.hrtime.bigint();
  await s.request('tools/call', { name: 'list', arguments: {} });
  list.push(ms(process.hrtime.bigint() - t0));
}
s.child.stdin.end();
await new Promise((r) => s.child.on('exit', r));
rmSync(dir, { recursive: true, force: true });

const f = (x) => x.toFixed(2);
console.log(`start-up to initialize: median ${f(median(up))} ms (bare node: ${f(median(base))} ms, +${f(median(up) - median(base))} ms, x${f(median(up) / median(base))})`);
console.log(`tools/call list round trip: median ${f(median(list))} ms (ping: ${f(median(ping))} ms, x${f(median(list) / median(ping))}) over ${calls} calls`);
