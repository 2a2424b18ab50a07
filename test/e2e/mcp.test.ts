// `tk mcp` end to end: the SDK's own stdio client spawns bin/tk mcp against tart-sim (TK_TART) in a
// temp git repo, lists the tools and calls each of them (list, spawn, exec, status, logs, suspend, halt,
// resume, provision, destroy) for real.
// Needs the CLI (src/cli/main.ts -> dist/tk/tk.js) and the engine; builds dist/ first when stale.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TK = join(ROOT, 'bin/tk');
const TART_SIM = join(ROOT, 'bin/tart-sim');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is older than src/, under the same lock directory the sim tests use. */
function ensureBuilt(): void {
  const lock = join(ROOT, 'dist', '.sim-test-build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('timed out waiting for the build lock');
      spawnSync('sleep', ['0.2']);
    }
  }
  try {
    const outs = [join(ROOT, 'dist/tk/tk.js'), join(ROOT, 'dist/sim/tart-sim.js')];
    const src = newestMtime(join(ROOT, 'src'));
    if (outs.some((o) => !existsSync(o) || statSync(o).mtimeMs < src)) {
      const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

const text = (r: CallToolResult) =>
  r.content
    .filter((c): c is { type: 'text'; text: string } => c.type === 'text')
    .map((c) => c.text)
    .join('\n');

let dir: string;
let repo: string;
let env: Record<string, string>;
let client: Client;
const protocolErrors: Error[] = [];
let serverStderr = '';

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'tk-mcp-e2e-'));
  repo = join(dir, 'demo');
  mkdirSync(repo);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '--allow-empty', '-m', 'init');
  const tkHome = join(dir, 'tk-home');
  mkdirSync(tkHome);
  // Loopback only: sim guests share the host's loopback.
  writeFileSync(join(tkHome, 'config.toml'), `credential_proxy_bind = "127.0.0.1"\ncredential_proxy_port = ${await freePort()}\n`);
  env = {
    ...(process.env as Record<string, string>),
    TK_HOME: tkHome,
    TK_TART: TART_SIM,
    TART_HOME: join(dir, 'tart-home'),
    TART_SIM_LEASES: join(dir, 'leases.json'),
    TART_SIM_REGISTRY: join(dir, 'registry'),
    CI: 'true',
  };
  const transport = new StdioClientTransport({ command: TK, args: ['mcp'], cwd: repo, env, stderr: 'pipe' });
  transport.stderr?.on('data', (c: Buffer) => (serverStderr += c.toString()));
  client = new Client({ name: 'tk-e2e', version: '0' });
  client.onerror = (e) => protocolErrors.push(e);
  try {
    await client.connect(transport);
  } catch (e) {
    throw new Error(`bin/tk mcp did not start: ${(e as Error).message}\nits stderr:\n${serverStderr}`);
  }
}, 180_000);

afterAll(async () => {
  await client?.close();
  // Best effort: nothing of tart-sim outlives the test.
  if (env) {
    const list = spawnSync(TART_SIM, ['list', '--format', 'json'], { env, encoding: 'utf8' });
    try {
      for (const vm of JSON.parse(list.stdout || '[]') as { Name: string }[]) {
        spawnSync(TART_SIM, ['stop', vm.Name], { env });
        spawnSync(TART_SIM, ['delete', vm.Name], { env });
      }
    } catch {
      /* no VMs */
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('tk mcp against tart-sim', () => {
  let vm = '';
  let worktree = '';
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args }, undefined, { timeout: 600_000, resetTimeoutOnProgress: true })) as CallToolResult;

  it('lists the tools', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['destroy', 'exec', 'halt', 'list', 'logs', 'provision', 'resume', 'spawn', 'status', 'suspend']);
    expect(client.getServerVersion()?.name).toBe('tk');
  });

  it('list starts empty', async () => {
    const r = await call('list', {});
    expect(r.isError, text(r)).toBeFalsy();
    expect(r.structuredContent).toEqual({ vms: [] });
  });

  it('spawn creates and provisions the VM, with progress notifications', async () => {
    const progress: { message?: string }[] = [];
    const r = (await client.callTool({ name: 'spawn', arguments: { cwd: repo, branch: 'feat-mcp' } }, undefined, {
      timeout: 600_000,
      resetTimeoutOnProgress: true,
      onprogress: (p) => progress.push(p),
    })) as CallToolResult;
    expect(r.isError, `${text(r)}\n${serverStderr}`).toBeFalsy();
    const s = r.structuredContent as { kind: string; name: string; ip: string; worktree: string };
    expect(s.kind).toBe('created');
    expect(s.name).toMatch(/^tachikoma-/);
    expect(s.ip).toMatch(/^127\./);
    expect(existsSync(s.worktree)).toBe(true);
    expect(progress.length).toBeGreaterThan(3);
    vm = s.name;
    worktree = s.worktree;
  }, 600_000);

  it('exec runs in the worktree with exact quoting and returns the exit code', async () => {
    const r = await call('exec', { vm_name: vm, command: `printf '%s|' "a b" 'c"d'; echo; echo from-vm > from-vm.txt; echo err >&2; exit 7` });
    expect(r.isError, text(r)).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ exit_code: 7, stdout: 'a b|c"d|\n', stderr: 'err\n', timed_out: false });
    // The VM wrote into the shared worktree.
    expect(readFileSync(join(worktree, 'from-vm.txt'), 'utf8')).toBe('from-vm\n');
    // stdin is empty and ended: a reader gets EOF at once.
    expect((await call('exec', { vm_name: vm, command: 'wc -c', timeout_secs: 20 })).structuredContent).toMatchObject({ exit_code: 0, stdout: '0\n' });
    const t = await call('exec', { vm_name: vm, command: 'sleep 30', timeout_secs: 1 });
    expect(t.structuredContent).toMatchObject({ exit_code: 124, timed_out: true });
  }, 120_000);

  it('status and logs', async () => {
    const r = await call('status', { vm_name: vm });
    expect(r.structuredContent).toMatchObject({ name: vm, status: 'running', branch: 'feat-mcp', tracked: true });
    const l = await call('logs', { vm_name: vm, lines: 500 });
    expect(l.isError, text(l)).toBeFalsy();
    expect(text(l)).toContain('@@tk phase=');
  });

  it('suspend explains that a Linux guest cannot be suspended', async () => {
    const r = await call('suspend', { vm_name: vm });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/macOS|Linux/);
    expect((await call('status', { vm_name: vm })).structuredContent).toMatchObject({ status: 'running' });
  });

  it('halt stops it, resume starts it again, provision has nothing left to do', async () => {
    const r = await call('halt', { vm_name: vm });
    expect(r.isError, text(r)).toBeFalsy();
    expect((await call('status', { vm_name: vm })).structuredContent).toMatchObject({ status: 'stopped' });

    const progress: unknown[] = [];
    const resumed = (await client.callTool({ name: 'resume', arguments: { vm_name: vm } }, undefined, {
      timeout: 600_000,
      resetTimeoutOnProgress: true,
      onprogress: (p) => progress.push(p),
    })) as CallToolResult;
    expect(resumed.isError, text(resumed)).toBeFalsy();
    expect(resumed.structuredContent).toMatchObject({ kind: 'started', name: vm });
    expect(progress.length).toBeGreaterThan(0);
    const again = await call('exec', { vm_name: vm, command: 'cat from-vm.txt' });
    expect(again.structuredContent).toMatchObject({ exit_code: 0, stdout: 'from-vm\n' });

    const p = await call('provision', { vm_name: vm });
    expect(p.isError, text(p)).toBeFalsy();
    expect(p.structuredContent).toMatchObject({ name: vm });
  }, 600_000);

  it('destroy refuses without confirm, then destroys', async () => {
    const refused = await call('destroy', { vm_name: vm });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain('confirm: true');
    expect(text(refused)).toContain(worktree);
    expect((await call('status', { vm_name: vm })).isError).toBeFalsy();

    const r = await call('destroy', { vm_name: vm, confirm: true, discard_changes: true });
    expect(r.isError, text(r)).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ name: vm, vmDeleted: true });
    expect(((await call('list', {})).structuredContent as { vms: unknown[] }).vms).toEqual([]);
  }, 180_000);

  it('never wrote anything but JSON-RPC to stdout', () => {
    expect(protocolErrors).toEqual([]);
  });
});
