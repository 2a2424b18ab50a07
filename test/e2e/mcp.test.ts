// `tk mcp` end to end: the SDK's own stdio client spawns bin/tk mcp against tart-sim (TK_TART) in a
// temp git repo, lists the tools and calls each of them (list, spawn, exec, status, logs, suspend, halt,
// resume, provision, destroy; pr without confirm) for real.
// Uses the engine e2e world (engine-helpers.ts): its own TK_HOME, TART_HOME and lease database.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../helpers/git-repo.js';
import { TK, e2eWorld, ensureBuilt, type E2eWorld } from './engine-helpers.js';

const text = (r: CallToolResult) =>
  r.content
    .filter((c): c is { type: 'text'; text: string } => c.type === 'text')
    .map((c) => c.text)
    .join('\n');

let w: E2eWorld;
let client: Client;
const protocolErrors: Error[] = [];
let serverStderr = '';

beforeAll(async () => {
  await ensureBuilt();
  w = e2eWorld();
  const transport = new StdioClientTransport({ command: TK, args: ['mcp'], cwd: w.root, env: w.env as Record<string, string>, stderr: 'pipe' });
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
  await w?.cleanup();
}, 120_000);

describe('tk mcp against tart-sim', () => {
  let vm = '';
  let worktree = '';
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args }, undefined, { timeout: 600_000, resetTimeoutOnProgress: true })) as CallToolResult;

  it('lists the tools', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['destroy', 'exec', 'halt', 'list', 'logs', 'pr', 'provision', 'resume', 'spawn', 'status', 'suspend']);
    expect(client.getServerVersion()?.name).toBe('tk');
  });

  it('list starts empty', async () => {
    const r = await call('list', {});
    expect(r.isError, text(r)).toBeFalsy();
    expect(r.structuredContent).toEqual({ vms: [] });
  });

  it('spawn creates and provisions the VM, with progress notifications', async () => {
    const progress: { message?: string }[] = [];
    const r = (await client.callTool({ name: 'spawn', arguments: { cwd: w.root, branch: 'feat/mcp' } }, undefined, {
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
    const started = Date.now();
    const t = await call('exec', { vm_name: vm, command: 'sleep 30 & sleep 31; echo late', timeout_secs: 1 });
    expect(t.structuredContent).toMatchObject({ exit_code: 124, timed_out: true });
    // The timeout really ends the command in the guest (its whole process group), promptly.
    expect(Date.now() - started).toBeLessThan(15_000);
    const left = await call('exec', { vm_name: vm, command: 'pgrep -x sleep || echo none', timeout_secs: 20 });
    expect(left.structuredContent).toMatchObject({ stdout: 'none\n' });
  }, 120_000);

  it('status and logs', async () => {
    const r = await call('status', { vm_name: vm });
    expect(r.structuredContent).toMatchObject({ name: vm, status: 'running', branch: 'feat/mcp', tracked: true });
    const l = await call('logs', { vm_name: vm, lines: 500 });
    expect(l.isError, text(l)).toBeFalsy();
    expect(text(l)).toContain('@@tk phase=');
  });

  it('pr without confirm commits nothing and says what it would do (here: refuse, the repository has no origin)', async () => {
    const r = await call('pr', { vm_name: vm });
    expect(r.isError).toBe(true);
    const t = text(r);
    expect(t).toContain('pr needs confirm: true');
    expect(t).toContain(`pr would refuse to push branch feat/mcp of ${vm}: The repository of ${vm} has no remote.origin.url to push to.`);
    expect(t).toContain('(the worktree has 1 changed file and 0 unpushed commits; nothing would be committed)');
    expect(git(worktree, 'status', '--porcelain')).toBe('?? from-vm.txt\n');
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
