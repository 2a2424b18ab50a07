// The server on real stdio, in a child process: stdout carries JSON-RPC and nothing else.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/run-server.ts', import.meta.url));
let outDir: string;
let bundle: string;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'tk-mcp-bundle-'));
  bundle = join(outDir, 'run-server.mjs');
  await build({
    entryPoints: [fixture],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
});
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

interface Proc {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  send(msg: object): void;
  /** Parsed stdout lines so far (throws on a line that is not JSON). */
  messages(): { jsonrpc: string; id?: number; method?: string; result?: unknown; error?: unknown; params?: unknown }[];
}

describe('tk mcp on stdio', () => {
  let root: string;
  const started: ChildProcessWithoutNullStreams[] = [];
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tk-mcp-stdio-'));
  });
  afterEach(() => {
    for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  function start(env: Record<string, string> = {}): Proc {
    const child = spawn(process.execPath, [bundle], { env: { ...process.env, FAKE_ROOT: root, ...env }, stdio: 'pipe' });
    started.push(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return {
      child,
      stdout: () => out,
      stderr: () => err,
      exited,
      send: (msg) => child.stdin.write(`${JSON.stringify(msg)}\n`),
      messages: () =>
        out
          .split('\n')
          .filter((l) => l.length > 0)
          .map((l) => JSON.parse(l) as ReturnType<Proc['messages']>[number]),
    };
  }

  const init = (p: Proc) => {
    p.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
    p.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  };

  it('writes only JSON-RPC lines to stdout while the service writes to stdout; exits 0 when stdin closes', async () => {
    const p = start();
    init(p);
    p.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    p.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list', arguments: {} } });
    p.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'exec', arguments: { vm_name: 'tachikoma-demo-feat-a', command: 'echo hello; echo warn >&2' } } });
    p.send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'spawn', arguments: { cwd: root, branch: 'feat-b' }, _meta: { progressToken: 'tok-1' } } });
    p.send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'status', arguments: { vm_name: 'nope' } } });
    await vi.waitFor(() => expect(p.messages().filter((m) => m.id !== undefined && m.method === undefined)).toHaveLength(6), { timeout: 10_000 });
    p.child.stdin.end();
    expect(await p.exited).toBe(0);

    const lines = p.stdout().split('\n');
    expect(lines.pop()).toBe(''); // newline-terminated
    for (const l of lines) expect(JSON.parse(l), l).toMatchObject({ jsonrpc: '2.0' });
    expect(p.stdout()).not.toContain('stray');

    const msgs = p.messages();
    const byId = (id: number) => msgs.find((m) => m.id === id && m.method === undefined) as { result: Record<string, unknown> };
    expect(byId(0).result).toMatchObject({ protocolVersion: '2025-11-25', serverInfo: { name: 'tk', version: '1.2.3-fixture' } });
    expect((byId(1).result.tools as { name: string }[]).map((t) => t.name).sort()).toEqual(['destroy', 'exec', 'halt', 'list', 'logs', 'pr', 'provision', 'resume', 'spawn', 'status', 'suspend']);
    expect(byId(2).result.structuredContent).toMatchObject({ vms: [{ name: 'tachikoma-demo-feat-a' }] });
    expect(byId(3).result.structuredContent).toEqual({ exit_code: 0, stdout: 'hello\n', stderr: 'warn\n', timed_out: false, truncated: false });
    expect(byId(4).result.structuredContent).toMatchObject({ kind: 'created', name: `tachikoma-${root.split('/').pop()!.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-feat-b` });
    expect(byId(5).result).toMatchObject({ isError: true });
    const progress = msgs.filter((m) => m.method === 'notifications/progress');
    expect(progress.length).toBeGreaterThan(5);
    expect(progress.every((m) => (m.params as { progressToken: string }).progressToken === 'tok-1')).toBe(true);

    // The stray writes went to stderr instead.
    expect(p.stderr()).toContain('stray write from list');
    expect(p.stderr()).toContain('console.log from exec');
  });

  it('works with the SDK\'s stdio client', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [bundle], env: { ...process.env, FAKE_ROOT: root } as Record<string, string>, stderr: 'pipe' });
    const client = new Client({ name: 'tk-stdio-test', version: '0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('destroy');
      const r = await client.callTool({ name: 'exec', arguments: { vm_name: 'tachikoma-demo-feat-a', command: 'printf "%s" "$0"' } });
      expect(r.structuredContent).toMatchObject({ exit_code: 0, stdout: 'bash' });
      const d = await client.callTool({ name: 'destroy', arguments: { vm_name: 'tachikoma-demo-feat-a' } });
      expect(d.isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('finishes a request in flight when stdin closes, answers it, then exits 0', async () => {
    const p = start({ FAKE_STEP_DELAY_MS: '50' });
    init(p);
    p.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'spawn', arguments: { cwd: root, branch: 'slow' }, _meta: { progressToken: 1 } } });
    await vi.waitFor(() => expect(p.messages().filter((m) => m.method === 'notifications/progress').length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    p.child.stdin.end();
    expect(await p.exited).toBe(0);
    const reply = p.messages().find((m) => m.id === 1) as { result: { structuredContent: { kind: string } } };
    expect(reply.result.structuredContent.kind).toBe('created');
    expect(p.stderr()).toMatch(/outcomes \[\{"method":"spawn","vm":"[^"]+-slow","result":"ok"\}\]/);
  });

  it('a request sent just before EOF is still answered', async () => {
    const p = start();
    init(p);
    p.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'exec', arguments: { vm_name: 'tachikoma-demo-feat-a', command: 'sleep 0.3; echo late' } } });
    p.child.stdin.end();
    expect(await p.exited).toBe(0);
    expect(p.messages().find((m) => m.id === 1)).toMatchObject({ result: { structuredContent: { exit_code: 0, stdout: 'late\n' } } });
  });

  it('stops, aborting work in flight, when the client stops reading stdout (EPIPE)', async () => {
    const p = start({ FAKE_STEP_DELAY_MS: '100' });
    init(p);
    await vi.waitFor(() => expect(p.messages().some((m) => m.id === 0)).toBe(true));
    p.child.stdout.destroy();
    p.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'spawn', arguments: { cwd: root, branch: 'slow' }, _meta: { progressToken: 1 } } });
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain('tk mcp: cannot write to the client');
    expect(p.stderr()).toMatch(/outcomes \[\{"method":"spawn","vm":"[^"]+-slow","result":"interrupted"\}\]/);
  });

  for (const [sig, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${sig} aborts an in-flight spawn and waits for its clean-up`, async () => {
      const p = start({ FAKE_STEP_DELAY_MS: '100' });
      init(p);
      p.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'spawn', arguments: { cwd: root, branch: 'slow' }, _meta: { progressToken: 1 } } });
      await vi.waitFor(() => expect(p.messages().filter((m) => m.method === 'notifications/progress').length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
      p.child.kill(sig);
      expect(await p.exited).toBe(code);
      expect(p.stderr()).toMatch(/outcomes \[\{"method":"spawn","vm":"[^"]+-slow","result":"interrupted"\}\]/);
      expect(existsSync(join(root, 'worktrees'))).toBe(true);
      expect(readdirSync(join(root, 'worktrees'))).toEqual(['tachikoma-demo-feat-a']);
      for (const l of p.stdout().split('\n').filter(Boolean)) expect(JSON.parse(l)).toMatchObject({ jsonrpc: '2.0' });
    });
  }
});
