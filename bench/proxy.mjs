// Credential proxy benchmark: loopback upstream; direct vs through the proxy, measured in the same run.
//   node bench/proxy.mjs [--n 400] [--mb 64]
// - added time to first byte (median, p90) for a small streaming Messages call (SSE, 5 events);
// - throughput of a large download and a large upload;
// - no buffering: the first SSE event must arrive while the upstream still holds the stream open.
// The proxy runs as its real daemon (its own process, bundled from src/proxy/main.ts), like in use.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import { Agent, request } from 'undici';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const N = opt('--n', 400);
const MB = opt('--mb', 64);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// --- the proxy daemon bundle
const work = mkdtempSync(join(tmpdir(), 'tk-bench-proxy-'));
await build({
  entryPoints: { 'tk-proxy': join(root, 'src/proxy/main.ts') }, outdir: work, bundle: true, platform: 'node', format: 'esm', target: 'node22', logLevel: 'warning',
  banner: { js: "import { createRequire as __tkCreateRequire } from 'node:module'; const require = __tkCreateRequire(import.meta.url);" },
});

// --- loopback upstream
const chunk64k = Buffer.alloc(64 * 1024, 0x61);
const sseFrame = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
let holdRelease;
const upstream = createServer((req, res) => {
  if (req.url.startsWith('/v1/blob')) {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': MB * 1024 * 1024 });
    let left = MB * 16;
    const pump = () => {
      while (left > 0) {
        left--;
        if (!res.write(chunk64k)) return res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  if (req.url.startsWith('/v1/upload')) {
    let n = 0;
    req.on('data', (c) => (n += c.length));
    req.on('end', () => res.end(JSON.stringify({ bytes: n })));
    return;
  }
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    res.write(sseFrame('message_start', { message: { id: 'm', content: [], usage: { input_tokens: 1, output_tokens: 1 } } }));
    const rest = () => {
      for (let i = 0; i < 3; i++) res.write(sseFrame('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'x' } }));
      res.end(sseFrame('message_stop', {}));
    };
    if (req.url.includes('hold')) holdRelease = rest;
    else rest();
  });
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upPort = upstream.address().port;

// --- proxy daemon with one VM token
const home = join(work, 'home');
mkdirSync(join(home, 'proxy'), { recursive: true, mode: 0o700 });
const token = randomBytes(32).toString('base64url');
writeFileSync(join(home, 'proxy', 'tokens.json'), JSON.stringify({ version: 1, tokens: { bench: { token, created: new Date().toISOString() } } }), { mode: 0o600 });
const probe = createServer();
await new Promise((r) => probe.listen(0, '127.0.0.1', r));
const proxyPort = probe.address().port;
await new Promise((r) => probe.close(r));
const daemon = spawn(process.execPath, [join(work, 'tk-proxy.js'), '--home', home, '--bind', '127.0.0.1', '--port', String(proxyPort)], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, ANTHROPIC_API_KEY: 'sk-bench-host-key', CLAUDE_CODE_OAUTH_TOKEN: '', TK_PROXY_CONFIG: JSON.stringify({ credential_proxy_bind: '127.0.0.1', credential_proxy_port: proxyPort, credential_proxy_upstream: `http://127.0.0.1:${upPort}` }) },
});
const agent = new Agent({ keepAliveTimeout: 30_000 });
for (let i = 0; i < 100; i++) {
  try {
    const r = await request(`http://127.0.0.1:${proxyPort}/health`, { dispatcher: agent });
    await r.body.text();
    if (r.statusCode === 200) break;
  } catch {
    await new Promise((r) => setTimeout(r, 30));
  }
}

const targets = {
  direct: { base: `http://127.0.0.1:${upPort}`, headers: { 'x-api-key': 'sk-bench-host-key' } },
  proxy: { base: `http://127.0.0.1:${proxyPort}`, headers: { 'x-api-key': token } },
};
const body = JSON.stringify({ model: 'm', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hi' }] });

async function ttfb(t, path = '/v1/messages?beta=true') {
  const t0 = performance.now();
  const r = await request(t.base + path, { method: 'POST', body, headers: { ...t.headers, 'content-type': 'application/json' }, dispatcher: agent });
  let first;
  for await (const c of r.body) {
    first ??= performance.now() - t0;
    void c;
  }
  return { first, total: performance.now() - t0 };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p90: q(0.9), mean: s.reduce((a, b) => a + b, 0) / s.length };
};

// warm up both paths
for (let i = 0; i < 50; i++) {
  await ttfb(targets.direct);
  await ttfb(targets.proxy);
}
const res = { direct: { first: [], total: [] }, proxy: { first: [], total: [] } };
for (let i = 0; i < N; i++) {
  // alternate the order so drift hits both equally
  for (const k of i % 2 ? ['direct', 'proxy'] : ['proxy', 'direct']) {
    const m = await ttfb(targets[k]);
    res[k].first.push(m.first);
    res[k].total.push(m.total);
  }
}
const d = stats(res.direct.first);
const p = stats(res.proxy.first);
const dt = stats(res.direct.total);
const pt = stats(res.proxy.total);

async function download(t) {
  const t0 = performance.now();
  const r = await request(t.base + '/v1/blob', { headers: t.headers, dispatcher: agent });
  let n = 0;
  for await (const c of r.body) n += c.length;
  return n / 1048576 / ((performance.now() - t0) / 1000);
}
async function upload(t) {
  const t0 = performance.now();
  async function* gen() {
    for (let i = 0; i < MB * 16; i++) yield chunk64k;
  }
  const r = await request(t.base + '/v1/upload', { method: 'POST', body: gen(), headers: { ...t.headers, 'content-type': 'application/octet-stream' }, dispatcher: agent });
  const got = JSON.parse(await r.body.text()).bytes;
  if (got !== MB * 1048576) throw new Error(`upload lost bytes: ${got}`);
  return MB / ((performance.now() - t0) / 1000);
}
const best = async (f, t) => Math.max(await f(t), await f(t), await f(t));
const thr = {
  downDirect: await best(download, targets.direct),
  downProxy: await best(download, targets.proxy),
  upDirect: await best(upload, targets.direct),
  upProxy: await best(upload, targets.proxy),
};

// no buffering: the upstream sends message_start and holds the stream for 300 ms
const t0 = performance.now();
const held = await request(`${targets.proxy.base}/v1/messages?hold=1`, { method: 'POST', body, headers: { ...targets.proxy.headers, 'content-type': 'application/json' }, dispatcher: agent });
const timer = setTimeout(() => holdRelease?.(), 300);
let firstEventMs;
let endMs;
for await (const c of held.body) {
  if (firstEventMs === undefined && c.toString().includes('message_start')) firstEventMs = performance.now() - t0;
}
endMs = performance.now() - t0;
clearTimeout(timer);

daemon.kill('SIGTERM');
await new Promise((r) => daemon.once('exit', r));
await agent.close();
upstream.close();
rmSync(work, { recursive: true, force: true });

const f = (x) => x.toFixed(3);
const summary = {
  requests: N,
  ttfb_ms: { direct_median: +f(d.median), proxy_median: +f(p.median), added_median: +f(p.median - d.median), direct_p90: +f(d.p90), proxy_p90: +f(p.p90), added_p90: +f(p.p90 - d.p90), ratio_median: +(p.median / d.median).toFixed(2) },
  total_ms: { direct_median: +f(dt.median), proxy_median: +f(pt.median), added_median: +f(pt.median - dt.median) },
  throughput_MBps: { download_direct: +thr.downDirect.toFixed(0), download_proxy: +thr.downProxy.toFixed(0), download_ratio: +(thr.downProxy / thr.downDirect).toFixed(2), upload_direct: +thr.upDirect.toFixed(0), upload_proxy: +thr.upProxy.toFixed(0), upload_ratio: +(thr.upProxy / thr.upDirect).toFixed(2) },
  sse_unbuffered: { first_event_ms: +f(firstEventMs), stream_end_ms: +f(endMs), first_before_end: firstEventMs < 300 && firstEventMs < endMs },
  target_added_median_under_1ms: p.median - d.median < 1,
};
console.log(`TTFB median: direct ${f(d.median)} ms, proxy ${f(p.median)} ms -> added ${f(p.median - d.median)} ms (p90 added ${f(p.p90 - d.p90)} ms), ratio ${summary.ttfb_ms.ratio_median}x`);
console.log(`Throughput (${MB} MB): download ${summary.throughput_MBps.download_direct} -> ${summary.throughput_MBps.download_proxy} MB/s (${summary.throughput_MBps.download_ratio}x), upload ${summary.throughput_MBps.upload_direct} -> ${summary.throughput_MBps.upload_proxy} MB/s (${summary.throughput_MBps.upload_ratio}x)`);
console.log(`SSE: first event after ${f(firstEventMs)} ms, upstream held until ~300 ms, stream ended at ${f(endMs)} ms -> ${summary.sse_unbuffered.first_before_end ? 'relayed unbuffered' : 'BUFFERED'}`);
console.log(JSON.stringify(summary, null, 2));
process.exitCode = summary.sse_unbuffered.first_before_end ? 0 : 1;
