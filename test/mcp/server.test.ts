import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TkError, formatError } from '../../src/core/errors.js';
import { PROVISION_STEPS, type VmView } from '../../src/core/model.js';
import type { TkService } from '../../src/core/service.js';
import { DEFAULT_EXEC_TIMEOUT_SECS } from '../../src/mcp/server.js';
import { connect, text, type Harness } from './helpers.js';

const TOOLS = ['destroy', 'exec', 'halt', 'list', 'logs', 'pr', 'provision', 'resume', 'spawn', 'status', 'suspend'];

describe('tk mcp tools (in-memory client)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await connect();
  });
  afterEach(async () => {
    await h.close();
  });

  it('lists tachikoma\'s six tools plus suspend, resume, provision, logs and pr, with described schemas', async () => {
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const t of tools) {
      expect(t.description, t.name).toMatch(/\w{3,}/);
      const props = (t.inputSchema.properties ?? {}) as Record<string, { description?: string }>;
      for (const [k, p] of Object.entries(props)) expect(p.description, `${t.name}.${k}`).toMatch(/\w{3,}/);
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    // tachikoma's argument names and required sets are kept.
    expect(Object.keys(byName.spawn!.inputSchema.properties ?? {}).sort()).toEqual(['branch', 'cwd']);
    expect(byName.spawn!.inputSchema.required).toEqual(['cwd']);
    expect(byName.exec!.inputSchema.required?.sort()).toEqual(['command', 'vm_name']);
    expect(Object.keys(byName.list!.inputSchema.properties ?? {})).toEqual(['repo']);
    expect(byName.list!.inputSchema.required ?? []).toEqual([]);
    for (const n of ['status', 'halt', 'destroy', 'suspend', 'resume', 'logs', 'pr']) expect(byName[n]!.inputSchema.required, n).toEqual(['vm_name']);
    expect(Object.keys(byName.destroy!.inputSchema.properties ?? {}).sort()).toEqual(['confirm', 'discard_changes', 'vm_name']);
    expect(Object.keys(byName.pr!.inputSchema.properties ?? {}).sort()).toEqual(['confirm', 'vm_name']);
    expect(byName.pr!.annotations?.openWorldHint).toBe(true);
    expect(byName.pr!.description).toContain('confirm: true');
    expect(byName.exec!.description).toContain('bash -lc');
    expect(byName.exec!.description).toContain(String(DEFAULT_EXEC_TIMEOUT_SECS));
    expect(byName.list!.outputSchema?.properties).toHaveProperty('vms');
    expect(byName.destroy!.annotations?.destructiveHint).toBe(true);
    expect(byName.status!.annotations?.readOnlyHint).toBe(true);
  });

  it('reports the server name and version', () => {
    expect(h.client.getServerVersion()).toMatchObject({ name: 'tk', version: '9.9.9-test' });
  });

  it('list: empty, then VMs as structured content and a table, filtered by repo', async () => {
    const empty = await h.call('list');
    expect(empty.isError).toBeFalsy();
    expect(empty.structuredContent).toEqual({ vms: [] });
    expect(text(empty)).toContain('No VMs');

    h.service.add({ branch: 'feat/a' });
    h.service.add({ branch: 'fix-b', repo: 'other', status: 'stopped' });
    const all = await h.call('list');
    const vms = (all.structuredContent as { vms: { name: string; status: string; ip: string | null }[] }).vms;
    expect(vms.map((v) => v.name)).toEqual(['tachikoma-demo-feat-a', 'tachikoma-other-fix-b']);
    expect(vms[1]).toMatchObject({ status: 'stopped', ip: null });
    expect(text(all).split('\n')[0]).toMatch(/^NAME\s+STATUS\s+IP\s+BRANCH\s+WORKTREE$/);
    expect(text(all)).toContain('tachikoma-demo-feat-a  running');

    const filtered = await h.call('list', { repo: 'other' });
    expect((filtered.structuredContent as { vms: unknown[] }).vms).toHaveLength(1);
    expect(h.service.calls.filter((c) => c.method === 'list').at(-1)?.args).toEqual([{ repo: 'other' }]);
  });

  it('status: one VmView; an unknown VM is a tool error with the CLI\'s message and hint', async () => {
    const vm = h.service.add({ branch: 'feat-a' });
    const r = await h.call('status', { vm_name: vm.name });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ name: vm.name, status: 'running', ip: vm.ip, branch: 'feat-a', worktree: vm.worktree });
    expect(text(r)).toMatch(new RegExp(`^name:\\s+${vm.name}$`, 'm'));

    const missing = await h.call('status', { vm_name: 'tachikoma-demo-nope' });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toBe(
      formatError(new TkError('vm', 'No VM named tachikoma-demo-nope.', { hint: 'Run `tk list` to see your VMs, or `tk spawn` to create one.' })),
    );
  });

  it('structured output tolerates fields the core adds and fills missing nullables with null', async () => {
    const vm = h.service.add({ branch: 'feat-a' });
    const base = await h.service.status(vm.name);
    const { provision_result: _dropped, ...rest } = base;
    h.service.status = async () => ({ ...rest, agent_state: 'idle' }) as unknown as VmView;
    const r = await h.call('status', { vm_name: vm.name });
    expect(r.isError, text(r)).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ name: vm.name, agent_state: 'idle', provision_result: null });
    const { tools } = await h.client.listTools();
    expect(tools.find((t) => t.name === 'status')?.outputSchema).not.toHaveProperty('additionalProperties', false);
  });

  it('spawn: creates with progress notifications, then reconnects; relative cwd resolves against the server cwd', async () => {
    const progress: { progress: number; message?: string }[] = [];
    const r = (await h.client.callTool(
      { name: 'spawn', arguments: { cwd: '.', branch: 'feat/x' } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    )) as { isError?: boolean; structuredContent?: unknown; content: unknown[] };
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ kind: 'created', name: 'tachikoma-demo-feat-x', branch: 'feat/x', provisioned: [...PROVISION_STEPS] });
    expect(h.service.calls.find((c) => c.method === 'spawn')?.args).toEqual([{ cwd: h.cwd, branch: 'feat/x' }]);
    // One notification per phase, in order, with increasing progress values.
    expect(progress.length).toBe(6 + PROVISION_STEPS.length + 1);
    expect(progress.map((p) => p.progress)).toEqual(progress.map((_, i) => i + 1));
    expect(progress[0]!.message).toBe('tachikoma-demo-feat-x: worktree: worktree…');
    expect(progress.at(-1)!.message).toContain(': ready:');

    const again = await h.call('spawn', { cwd: h.cwd, branch: 'feat/x' });
    expect(again.structuredContent).toMatchObject({ kind: 'reconnected', provisioned: [] });
    expect(text(again)).toContain('Reconnected to VM tachikoma-demo-feat-x');
  });

  it('spawn without a progressToken sends no progress notifications', async () => {
    const seen: unknown[] = [];
    h.client.setNotificationHandler((await import('@modelcontextprotocol/sdk/types.js')).ProgressNotificationSchema, (n) => {
      seen.push(n);
    });
    const r = await h.call('spawn', { cwd: h.cwd });
    expect(r.isError).toBeFalsy();
    await new Promise((res) => setTimeout(res, 20));
    expect(seen).toEqual([]);
  });

  it('exec: runs `bash -lc <command>` with quoting intact, returning exit code, stdout and stderr', async () => {
    const vm = h.service.add({ branch: 'feat-a' });
    const command = `printf '%s|' "a b" 'c"d' "$(pwd)"; echo; echo oops >&2; exit 3`;
    const r = await h.call('exec', { vm_name: vm.name, command });
    expect(r.isError).toBeFalsy();
    expect(h.service.calls.find((c) => c.method === 'exec')?.args).toEqual([vm.name, ['bash', '-lc', command]]);
    expect(r.structuredContent).toEqual({ exit_code: 3, stdout: `a b|c"d|${vm.worktree}|\n`, stderr: 'oops\n', timed_out: false, truncated: false });
    expect(text(r)).toBe(`exit code: 3\nstdout:\na b|c"d|${vm.worktree}|\n\nstderr:\noops\n`);
  });

  it('exec: stdin is empty and ended, so a command reading it does not hang', async () => {
    const vm = h.service.add({ branch: 'feat-a' });
    const r = await h.call('exec', { vm_name: vm.name, command: 'wc -c; echo done', timeout_secs: 5 });
    expect(r.structuredContent).toMatchObject({ exit_code: 0, stdout: '0\ndone\n', timed_out: false });
  });

  it('exec: timeout_secs kills the command with exit code 124', async () => {
    const vm = h.service.add({ branch: 'feat-a' });
    const t0 = Date.now();
    const r = await h.call('exec', { vm_name: vm.name, command: 'echo started; sleep 30', timeout_secs: 1 });
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.structuredContent).toMatchObject({ exit_code: 124, stdout: 'started\n', timed_out: true });
    expect(text(r)).toContain('(timed out)');
  });

  it('exec: keeps only the end of a huge output and says so', async () => {
    const vm = h.service.add({ branch: 'feat-a' });
    const r = await h.call('exec', { vm_name: vm.name, command: 'head -c 500000 /dev/zero | tr "\\0" a; echo END' });
    const s = r.structuredContent as { stdout: string; truncated: boolean };
    expect(s.truncated).toBe(true);
    expect(s.stdout.length).toBe(200_000);
    expect(s.stdout.endsWith('aaaEND\n')).toBe(true);
  });

  it('exec on a stopped VM and exec without a command are tool errors', async () => {
    const vm = h.service.add({ branch: 'feat-a', status: 'stopped' });
    const r = await h.call('exec', { vm_name: vm.name, command: 'true' });
    expect(r.isError).toBe(true);
    expect(text(r)).toBe(`${vm.name} is stopped, not running.\nStart it with \`tk resume ${vm.name}\`.`);
    const bad = await h.call('exec', { vm_name: vm.name });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/Input validation error/);
  });

  it('halt, suspend (Linux refused, macOS ok) and resume', async () => {
    const linux = h.service.add({ branch: 'lin' });
    const mac = h.service.add({ branch: 'mac', os: 'darwin' });

    const haltProgress: { progress: number; message?: string }[] = [];
    const halted = await h.client.callTool({ name: 'halt', arguments: { vm_name: linux.name } }, undefined, { onprogress: (p) => haltProgress.push(p) });
    expect(text(halted as CallToolResult)).toBe(`Halted ${linux.name}.`);
    // Repeated identical events are sent once.
    expect(haltProgress.map((p) => [p.progress, p.message])).toEqual([
      [1, `${linux.name}: boot: stopping`],
      [2, `${linux.name}: boot: stopped`],
    ]);
    expect(h.service.vms.get(linux.name)!.status).toBe('stopped');

    const refused = await h.call('suspend', { vm_name: linux.name });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain('Tart suspends only macOS guests');
    expect(text(refused)).toContain(`tk halt ${linux.name}`);

    expect(text(await h.call('suspend', { vm_name: mac.name }))).toBe(`Suspended ${mac.name}.`);
    expect(h.service.vms.get(mac.name)!.status).toBe('suspended');

    const progress: unknown[] = [];
    const resumed = await h.client.callTool({ name: 'resume', arguments: { vm_name: mac.name } }, undefined, { onprogress: (p) => progress.push(p) });
    expect(resumed.structuredContent).toMatchObject({ kind: 'resumed', name: mac.name });
    expect(progress.length).toBeGreaterThan(0);
    expect((await h.call('resume', { vm_name: linux.name })).structuredContent).toMatchObject({ kind: 'started' });
  });

  it('provision re-runs provisioning with progress', async () => {
    const vm = h.service.add({ branch: 'feat-a' });
    const progress: unknown[] = [];
    const r = await h.client.callTool({ name: 'provision', arguments: { vm_name: vm.name } }, undefined, { onprogress: (p) => progress.push(p) });
    // A skipped step is reported apart, with its reason, never as provisioned.
    expect(r.structuredContent).toMatchObject({ name: vm.name, provisioned: PROVISION_STEPS.filter((s) => s !== 'scripts'), skipped: [{ step: 'scripts', reason: 'no provision_scripts or profiles' }] });
    expect(text(r as CallToolResult)).toContain('provisioned: ssh-key, mount, git, hostname, profile, agent-install, agent-config\nskipped: scripts (no provision_scripts or profiles)');
    expect(progress).toHaveLength(PROVISION_STEPS.length);
  });

  it('destroy without confirm touches nothing and lists what would be removed', async () => {
    const vm = h.service.add({ branch: 'feat-a', uncommitted: 2, unpushed: 1 });
    for (const args of [{ vm_name: vm.name }, { vm_name: vm.name, confirm: false }, { vm_name: vm.name, discard_changes: true }]) {
      const r = await h.call('destroy', args);
      expect(r.isError).toBe(true);
      const t = text(r);
      expect(t).toContain('destroy needs confirm: true');
      expect(t).toContain(`the VM ${vm.name} (3.2 GB on disk)`);
      expect(t).toContain(`the worktree ${vm.worktree} (branch feat-a`);
      expect(t).toContain('2 uncommitted changes and 1 unpushed commit.');
      expect(t).toContain('discard_changes: true');
    }
    expect(h.service.vms.has(vm.name)).toBe(true);
    expect(existsSync(vm.worktree)).toBe(true);
    expect(h.service.calls.some((c) => c.method === 'destroy')).toBe(false);
  });

  it('pr on a service that cannot open PRs: a tool error saying so, with or without confirm', async () => {
    const vm = h.service.add({ branch: 'feat-a', uncommitted: 1 });
    expect((h.service as TkService).pr).toBeUndefined();
    for (const confirm of [true, false]) {
      const r = await h.call('pr', { vm_name: vm.name, confirm });
      expect(r.isError).toBe(true);
      expect(text(r)).toBe('This build of tk cannot open PRs.\nRebuild tk (npm run build) from a complete checkout.');
    }
  });

  it('destroy with confirm keeps a worktree with changes unless discard_changes', async () => {
    const keep = h.service.add({ branch: 'keep', uncommitted: 1 });
    const r = await h.call('destroy', { vm_name: keep.name, confirm: true });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ name: keep.name, vmDeleted: true, worktreeRemoved: false });
    expect(text(r)).toContain('worktree kept: 1 uncommitted changes');
    expect(existsSync(keep.worktree)).toBe(true);
    expect(h.service.vms.has(keep.name)).toBe(false);

    const drop = h.service.add({ branch: 'drop', uncommitted: 1 });
    const r2 = await h.call('destroy', { vm_name: drop.name, confirm: true, discard_changes: true });
    expect(r2.structuredContent).toMatchObject({ worktreeRemoved: true });
    expect(existsSync(drop.worktree)).toBe(false);
    expect(h.service.calls.filter((c) => c.method === 'destroy').map((c) => c.args[1])).toEqual([{ discardChanges: false }, { discardChanges: true }]);

    const again = await h.call('destroy', { vm_name: drop.name, confirm: true });
    expect(again.isError).toBe(true);
    expect(text(again)).toContain(`No VM named ${drop.name}.`);
  });

  it('logs: the last N lines of the VM log; a missing log is a clear error', async () => {
    await h.call('spawn', { cwd: h.cwd, branch: 'feat-a' });
    const name = 'tachikoma-demo-feat-a';
    const all = readFileSync(h.service.logPath(name), 'utf8').trimEnd().split('\n');
    const r = await h.call('logs', { vm_name: name, lines: 3 });
    expect(text(r)).toBe(all.slice(-3).join('\n'));
    const dflt = await h.call('logs', { vm_name: name });
    expect(text(dflt).split('\n')).toEqual(all.slice(-100));

    const missing = await h.call('logs', { vm_name: 'tachikoma-demo-none' });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/^No log for tachikoma-demo-none yet \(.*tachikoma-demo-none\.log does not exist\)\.\nA VM gets its log/);

    for (const bad of ['../../etc/passwd', '/etc/passwd', '.hidden', 'a/b', '']) {
      const r = await h.call('logs', { vm_name: bad });
      expect(r.isError, bad).toBe(true);
      expect(text(r)).toMatch(/Input validation error/);
    }
    expect(h.service.calls.filter((c) => c.method === 'resolveName').map((c) => c.args[1])).not.toContain('a/b');

    writeFileSync(h.service.logPath('empty'), '');
    expect(text(await h.call('logs', { vm_name: 'empty' }))).toBe('(the log of empty is empty)');
  });
});

describe('tk mcp exec when the kill does not take', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await connect({ execIgnoresKill: true });
  });
  afterEach(async () => {
    await h.close();
  });

  it('answers shortly after the deadline instead of waiting for the command to end', async () => {
    const vm = h.service.add({ branch: 'feat-a' });
    const t0 = Date.now();
    const r = await h.call('exec', { vm_name: vm.name, command: 'echo started; sleep 6', timeout_secs: 1 });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(5500);
    expect(r.structuredContent).toMatchObject({ exit_code: 124, stdout: 'started\n', timed_out: true });
    expect(text(r)).toContain(`it may still be running in ${vm.name}`);
  });
});

describe('tk mcp cancellation', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await connect({ stepDelayMs: 40 });
  });
  afterEach(async () => {
    await h.close();
  });

  it('a cancelled spawn aborts the operation, which cleans up', async () => {
    const ac = new AbortController();
    let seen = 0;
    const call = h.client.callTool({ name: 'spawn', arguments: { cwd: h.cwd, branch: 'slow' } }, undefined, {
      signal: ac.signal,
      onprogress: () => {
        seen += 1;
        if (seen === 3) ac.abort('user cancelled');
      },
    });
    await expect(call).rejects.toThrow();
    // The server got notifications/cancelled and aborted the service call.
    await vi.waitFor(() => expect(h.service.outcomes).toEqual([{ method: 'spawn', vm: 'tachikoma-demo-slow', result: 'interrupted' }]));
    expect(seen).toBe(3);
    expect(h.service.vms.size).toBe(0);
    expect(existsSync(join(h.root, 'worktrees', 'tachikoma-demo-slow'))).toBe(false);
    const log = readFileSync(h.service.logPath('tachikoma-demo-slow'), 'utf8');
    expect(log).not.toContain('phase=ready');
  });

  it('a cancelled exec kills the remote command', async () => {
    const vm = h.service.add({ branch: 'feat-a' });
    const marker = join(h.root, 'exec-finished');
    const ac = new AbortController();
    const call = h.client.callTool({ name: 'exec', arguments: { vm_name: vm.name, command: `sleep 2; touch ${marker}` } }, undefined, { signal: ac.signal });
    setTimeout(() => ac.abort(), 200);
    await expect(call).rejects.toThrow();
    await vi.waitFor(() => expect(h.service.outcomes).toEqual([{ method: 'exec', vm: vm.name, result: 'interrupted' }]));
    await new Promise((r) => setTimeout(r, 2200));
    expect(existsSync(marker)).toBe(false);
  });
});
