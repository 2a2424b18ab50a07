// `tk mcp`: a stdio MCP server over TkService. Tachikoma's six tools keep their names and arguments
// (spawn, exec, list, status, halt, destroy); suspend, resume, provision, logs and pr are added.
// Failures are tool errors (isError) carrying the CLI's message; long operations report progress
// when the client sent a progressToken, and a cancelled request aborts the operation.
// Nothing but JSON-RPC reaches stdout: see stdout-guard.ts.
import { resolve as resolvePath } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { TkError, formatError, toTkError } from '../core/errors.js';
import type { DestroyReport, ProgressFn, VmView } from '../core/model.js';
import type { TkService } from '../core/service.js';
import { destroyRefusalText, destroyText, execText, listText, prRefusalText, prText, spawnText, vmText } from './format.js';
import { tailLines } from './log-tail.js';
import { guardStdout } from './stdout-guard.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export const DEFAULT_EXEC_TIMEOUT_SECS = 600;
export const MAX_EXEC_TIMEOUT_SECS = 24 * 60 * 60;
/** Characters kept per stream of an exec (its end: errors are usually last). */
export const EXEC_OUTPUT_LIMIT = 200_000;
/** How long after the deadline (or a cancel) exec still waits for the killed command to end. */
export const EXEC_KILL_GRACE_MS = 2000;
export const DEFAULT_LOG_LINES = 100;
export const MAX_LOG_LINES = 10_000;

export interface McpServerOptions {
  version: string;
  /** Directory `tk mcp` was started in: resolves relative `cwd` arguments and omitted names. */
  cwd: string;
}

/** VM names are Tart names: no path separators, so a name can never point outside tk's directories. */
const VM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const vmName = z
  .string()
  .max(200)
  .regex(VM_NAME, 'a VM name has only letters, digits, ".", "_" and "-" (see the list tool)')
  .describe('Name of the VM, as returned by spawn and list (e.g. "tachikoma-myrepo-feature-x")');

// Output schemas are loose objects: the core may add fields (clients validate structuredContent against
// the published JSON Schema, and additionalProperties: false would turn a new field into a client error).
const vmViewSchema = z.looseObject({
  name: z.string(),
  repo: z.string().nullable(),
  branch: z.string().nullable(),
  status: z.enum(['running', 'suspended', 'stopped', 'missing']),
  tracked: z.boolean(),
  ip: z.string().nullable(),
  worktree: z.string().nullable(),
  last_used: z.string().nullable(),
  created_at: z.string().nullable(),
  disk_gb: z.number().nullable(),
  size_gb: z.number().nullable(),
  phase: z.string().nullable(),
  provision_result: z.enum(['ok', 'failed', 'running']).nullable(),
  provision_error: z.string().nullable(),
});

const spawnResultSchema = z.looseObject({
  kind: z.enum(['created', 'started', 'resumed', 'reconnected']),
  name: z.string(),
  ip: z.string(),
  branch: z.string(),
  worktree: z.string(),
  provisioned: z.array(z.string()),
  skipped: z.array(z.object({ step: z.string(), reason: z.string() })),
});

const execResultSchema = z.object({
  exit_code: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
  timed_out: z.boolean(),
  truncated: z.boolean(),
});

const destroyReportSchema = z.looseObject({
  name: z.string(),
  vmDeleted: z.boolean(),
  stateRemoved: z.boolean(),
  logsRemoved: z.boolean(),
  worktreeRemoved: z.boolean(),
  worktreeKeptReason: z.string().nullable(),
});

const prResultSchema = z.looseObject({
  name: z.string(),
  url: z.string(),
  committed: z.boolean(),
  branch: z.string().optional(),
  pushed_to: z.string().optional(),
});

/** The VmView as published: every nullable field present (null, never missing), extra fields kept. */
function vmView(v: VmView): Record<string, unknown> {
  return {
    ...v,
    repo: v.repo ?? null,
    branch: v.branch ?? null,
    ip: v.ip ?? null,
    worktree: v.worktree ?? null,
    last_used: v.last_used ?? null,
    created_at: v.created_at ?? null,
    disk_gb: v.disk_gb ?? null,
    size_gb: v.size_gb ?? null,
    phase: v.phase ?? null,
    provision_result: v.provision_result ?? null,
    provision_error: v.provision_error ?? null,
  };
}

function destroyReport(r: DestroyReport): Record<string, unknown> {
  return { ...r, worktreeKeptReason: r.worktreeKeptReason ?? null };
}

export function errorResult(e: unknown): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: formatError(toTkError(e)) }] };
}

/** Progress notifications for one request, when (and only while) the client asked for them. */
function progressReporter(extra: Extra): { onProgress: ProgressFn | undefined; done: () => void } {
  const token = extra._meta?.progressToken;
  if (token === undefined) return { onProgress: undefined, done: () => {} };
  let n = 0;
  let finished = false;
  let last = '';
  const onProgress: ProgressFn = (e) => {
    if (finished || extra.signal.aborted) return;
    const message = `${e.vm}: ${e.phase}: ${e.message}`;
    if (message === last) return; // a repeated event tells the client nothing new
    last = message;
    n += 1;
    extra
      .sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: n, message } })
      .catch(() => {});
  };
  return { onProgress, done: () => (finished = true) };
}

async function* emptyInput(): AsyncGenerator<Uint8Array> {}

/** Keeps the last `limit` characters of a byte stream, decoding UTF-8 across chunk boundaries. */
class TailCapture {
  private readonly decoder = new TextDecoder();
  private parts: string[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly limit: number) {}
  push(chunk: Uint8Array | string): void {
    const s = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (s.length === 0) return;
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 2 * this.limit) this.compact();
  }
  private compact(): void {
    const all = this.parts.join('');
    if (all.length > this.limit) this.truncated = true;
    const kept = all.slice(-this.limit);
    this.parts = [kept];
    this.size = kept.length;
  }
  text(): string {
    const tail = this.decoder.decode();
    if (tail.length > 0) this.parts.push(tail);
    this.compact();
    return this.parts.join('');
  }
}

/** Builds the server with every tool registered; connect it to any transport. */
export function createMcpServer(service: TkService, opts: McpServerOptions, hooks: { track?: (p: Promise<unknown>) => void } = {}): McpServer {
  const server = new McpServer(
    { name: 'tk', version: opts.version },
    {
      instructions:
        'tk runs coding agents in one throwaway Tart VM per git branch. spawn creates or reconnects the VM of a branch ' +
        '(cwd = the repository); exec runs shell commands in its worktree; list/status show VMs; halt, suspend, resume and ' +
        'destroy manage their lifecycle; logs shows provisioning and boot output; pr commits the worktree, pushes the ' +
        'branch and opens a GitHub PR. destroy and pr need confirm: true.',
    },
  );

  /** Runs a tool body: errors become tool errors with the CLI's text; the call is tracked for shutdown. */
  const run = (body: () => Promise<CallToolResult>): Promise<CallToolResult> => {
    const p = body().catch(errorResult);
    hooks.track?.(p);
    return p;
  };
  const name = (vm: string) => service.resolveName(opts.cwd, vm);

  server.registerTool(
    'spawn',
    {
      title: 'Spawn VM',
      description:
        'Spawn or reconnect to a VM for a git branch: creates the worktree and VM and provisions it on first use, ' +
        'starts or resumes it when stopped or suspended, and reconnects when running. Sends progress notifications ' +
        'when the request has a progressToken. Returns the VM name, IP and worktree.',
      inputSchema: {
        branch: z.string().min(1).optional().describe('Branch name (optional, defaults to the branch checked out in cwd)'),
        cwd: z.string().min(1).describe('Working directory inside the git repository (required; relative paths resolve against the server\'s directory)'),
      },
      outputSchema: spawnResultSchema,
      annotations: { destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (args, extra) =>
      run(async () => {
        const progress = progressReporter(extra);
        try {
          const r = await service.spawn({
            cwd: resolvePath(opts.cwd, args.cwd),
            ...(args.branch === undefined ? {} : { branch: args.branch }),
            onProgress: progress.onProgress,
            signal: extra.signal,
          });
          return { content: [{ type: 'text', text: spawnText(r) }], structuredContent: { ...r } };
        } finally {
          progress.done();
        }
      }),
  );

  server.registerTool(
    'exec',
    {
      title: 'Run a command in a VM',
      description:
        'Execute a command in a running VM, in its worktree. The command string is run as `bash -lc <command>` ' +
        '(a login shell, so ~/.profile is loaded; pipes, quotes and && work as in a terminal). ' +
        'Returns exit_code, stdout and stderr; a non-zero exit code is a result, not a tool error. ' +
        `The command is killed after timeout_secs (default ${DEFAULT_EXEC_TIMEOUT_SECS}) with exit code 124. ` +
        `Only the last ${EXEC_OUTPUT_LIMIT} characters of each stream are returned. stdin is empty.`,
      inputSchema: {
        vm_name: vmName,
        command: z.string().min(1).describe('Shell command line, run with bash -lc in the VM\'s worktree'),
        timeout_secs: z
          .number()
          .int()
          .positive()
          .max(MAX_EXEC_TIMEOUT_SECS)
          .optional()
          .describe(`Kill the command after this many seconds (default ${DEFAULT_EXEC_TIMEOUT_SECS}); it then exits with code 124`),
      },
      outputSchema: execResultSchema,
      annotations: { destructiveHint: true, openWorldHint: true },
    },
    (args, extra) =>
      run(async () => {
        const vm = await name(args.vm_name);
        const timeoutMs = (args.timeout_secs ?? DEFAULT_EXEC_TIMEOUT_SECS) * 1000;
        const out = new TailCapture(EXEC_OUTPUT_LIMIT);
        const err = new TailCapture(EXEC_OUTPUT_LIMIT);
        const started = Date.now();
        const running = service.exec(vm, ['bash', '-lc', args.command], {
          stdout: (c) => out.push(c),
          stderr: (c) => err.push(c),
          // An empty stdin, ended at once: a command that reads stdin sees EOF instead of waiting for the timeout.
          stdin: emptyInput(),
          signal: extra.signal,
          timeoutMs,
        });
        // The service kills the command at the deadline (or on cancel). Should the kill not take (a
        // guest process ignoring its closed session), answer anyway a little later instead of
        // holding the client until the command ends by itself.
        let late: NodeJS.Timeout | undefined;
        const gaveUp = new Promise<null>((resolve) => {
          late = setTimeout(() => resolve(null), timeoutMs + EXEC_KILL_GRACE_MS);
          extra.signal.addEventListener('abort', () => {
            clearTimeout(late);
            late = setTimeout(() => resolve(null), EXEC_KILL_GRACE_MS);
          }, { once: true });
        });
        let code: number | null;
        try {
          code = await Promise.race([running, gaveUp]);
        } finally {
          clearTimeout(late);
        }
        if (code === null) {
          running.catch(() => {});
          if (extra.signal.aborted) throw new TkError('interrupted', `The command in ${vm} was cancelled.`);
        }
        const result = {
          exit_code: code ?? 124,
          stdout: out.text(),
          stderr: err.text(),
          // Timers may fire a millisecond early relative to Date.now(); a command exiting 124 by itself that
          // close to the deadline is not worth telling apart.
          timed_out: code === null || (code === 124 && Date.now() - started >= timeoutMs - 10),
          truncated: out.truncated || err.truncated,
        };
        const text = code === null ? `${execText(result)}\n(the command did not stop when it was killed: it may still be running in ${vm})` : execText(result);
        return { content: [{ type: 'text', text }], structuredContent: result };
      }),
  );

  server.registerTool(
    'list',
    {
      title: 'List VMs',
      description:
        'List all VMs: tk\'s state merged with Tart (status running/suspended/stopped, or missing when Tart no longer has it), ' +
        'IP, branch and worktree. structuredContent is {vms: [...]}.',
      inputSchema: { repo: z.string().min(1).optional().describe('Filter by repository name') },
      outputSchema: { vms: z.array(vmViewSchema) },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      run(async () => {
        const vms = await service.list(args.repo === undefined ? {} : { repo: args.repo });
        return { content: [{ type: 'text', text: listText(vms) }], structuredContent: { vms: vms.map(vmView) } };
      }),
  );

  server.registerTool(
    'status',
    {
      title: 'VM status',
      description: 'Get status of a VM: Tart state, IP, branch, worktree, disk use and provisioning phase.',
      inputSchema: { vm_name: vmName },
      outputSchema: vmViewSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      run(async () => {
        const v = await service.status(await name(args.vm_name));
        return { content: [{ type: 'text', text: vmText(v) }], structuredContent: vmView(v) };
      }),
  );

  const lifecycle = (tool: 'halt' | 'suspend', title: string, description: string, done: string) =>
    server.registerTool(
      tool,
      {
        title,
        description,
        inputSchema: { vm_name: vmName },
        annotations: { destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      (args, extra) =>
        run(async () => {
          const vm = await name(args.vm_name);
          const progress = progressReporter(extra);
          try {
            await service[tool](vm, { onProgress: progress.onProgress, signal: extra.signal });
          } finally {
            progress.done();
          }
          return { content: [{ type: 'text', text: `${done} ${vm}.` }] };
        }),
    );
  lifecycle('halt', 'Halt VM', 'Stop a running VM (graceful shutdown). Its disk, worktree and state are kept; spawn or resume start it again.', 'Halted');
  lifecycle(
    'suspend',
    'Suspend VM',
    'Suspend a running VM, keeping its memory, so resume continues where it was. Tart supports this for macOS guests only; for Linux guests the error says so (use halt).',
    'Suspended',
  );

  const restart = (tool: 'resume' | 'provision', title: string, description: string) =>
    server.registerTool(
      tool,
      {
        title,
        description,
        inputSchema: { vm_name: vmName },
        outputSchema: spawnResultSchema,
        annotations: { destructiveHint: false, openWorldHint: false },
      },
      (args, extra) =>
        run(async () => {
          const vm = await name(args.vm_name);
          const progress = progressReporter(extra);
          try {
            const r = await service[tool](vm, { onProgress: progress.onProgress, signal: extra.signal });
            return { content: [{ type: 'text', text: spawnText(r) }], structuredContent: { ...r } };
          } finally {
            progress.done();
          }
        }),
    );
  restart('resume', 'Resume VM', 'Start a stopped VM or resume a suspended one, wait for SSH and remount its shares. Sends progress notifications when asked.');
  restart(
    'provision',
    'Provision VM',
    'Run the provisioning steps that have not completed yet (e.g. after a failed spawn), starting the VM if needed. Sends progress notifications when asked.',
  );

  server.registerTool(
    'destroy',
    {
      title: 'Destroy VM',
      description:
        'Destroy a VM and remove its state: deletes the VM, its worktree (never the main checkout) and its log. ' +
        'Requires confirm: true; without it nothing is touched and the error lists exactly what would be removed, ' +
        'including uncommitted changes and unpushed commits. A worktree with such changes is kept unless discard_changes is true.',
      inputSchema: {
        vm_name: vmName,
        confirm: z.boolean().optional().describe('Must be true to destroy; otherwise the call only reports what would be removed'),
        discard_changes: z
          .boolean()
          .optional()
          .describe('Also remove a worktree that has uncommitted changes or unpushed commits (they are lost). Default false: such a worktree is kept'),
      },
      outputSchema: destroyReportSchema,
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args, extra) =>
      run(async () => {
        const vm = await name(args.vm_name);
        if (args.confirm !== true) {
          const plan = await service.destroyPlan(vm);
          return { isError: true, content: [{ type: 'text', text: destroyRefusalText(plan) }] };
        }
        const progress = progressReporter(extra);
        try {
          const r = await service.destroy(vm, {
            discardChanges: args.discard_changes === true,
            onProgress: progress.onProgress,
            signal: extra.signal,
          });
          return { content: [{ type: 'text', text: destroyText(r) }], structuredContent: destroyReport(r) };
        } finally {
          progress.done();
        }
      }),
  );

  server.registerTool(
    'pr',
    {
      title: 'Open a pull request',
      description:
        'Like `tk pr`, on the host in the VM\'s worktree (the VM is not touched, it may be stopped): commits pending ' +
        'changes ("chore: Claude changes on <branch>", hooks disabled), pushes the branch to the GitHub URL tk recorded ' +
        'when the VM was spawned, and runs `gh pr create --fill`. Requires confirm: true; without it nothing is ' +
        'committed or pushed and the error tells what would happen: the branch, the push URL (or why tk would refuse ' +
        'to push), and the uncommitted changes and unpushed commits.',
      inputSchema: {
        vm_name: vmName,
        confirm: z.boolean().optional().describe('Must be true to commit, push and open the PR; otherwise the call only reports what it would do'),
      },
      outputSchema: prResultSchema,
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (args, extra) =>
      run(async () => {
        const vm = await name(args.vm_name);
        if (!service.pr) throw new TkError('io', 'This build of tk cannot open PRs.', { hint: 'Rebuild tk (npm run build) from a complete checkout.' });
        if (args.confirm !== true) {
          const plan = service.prPlan ? await service.prPlan(vm) : null;
          return { isError: true, content: [{ type: 'text', text: prRefusalText(vm, plan) }] };
        }
        const progress = progressReporter(extra);
        try {
          const r = await service.pr(vm, { onProgress: progress.onProgress, signal: extra.signal });
          return { content: [{ type: 'text', text: prText(vm, r) }], structuredContent: { name: vm, ...r } };
        } finally {
          progress.done();
        }
      }),
  );

  server.registerTool(
    'logs',
    {
      title: 'VM log',
      description:
        'The last lines of a VM\'s log: provisioning step output and tart run output, with phase markers ' +
        '("@@tk phase=<phase> event=start|end result=…").',
      inputSchema: {
        vm_name: vmName,
        lines: z
          .number()
          .int()
          .positive()
          .max(MAX_LOG_LINES)
          .optional()
          .describe(`Number of lines from the end (default ${DEFAULT_LOG_LINES}, at most ${MAX_LOG_LINES})`),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      run(async () => {
        const vm = await name(args.vm_name);
        const path = service.logPath(vm);
        let tail: { text: string; truncated: boolean };
        try {
          tail = await tailLines(path, args.lines ?? DEFAULT_LOG_LINES);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
            throw new TkError('vm', `No log for ${vm} yet (${path} does not exist).`, {
              hint: 'A VM gets its log when it is spawned; check the name with the list tool.',
            });
          }
          throw new TkError('io', `Cannot read the log of ${vm} (${path}): ${(e as Error).message}`, { cause: e });
        }
        return { content: [{ type: 'text', text: tail.text.length > 0 ? tail.text : `(the log of ${vm} is empty)` }] };
      }),
  );

  return server;
}

export interface RunMcpOptions extends McpServerOptions {
  /** Defaults to the process streams; tests pass their own. */
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WritableStream;
}

/**
 * Serves MCP on stdio. Shutdown follows the MCP stdio rules:
 * - stdin closes (the client is done): requests in flight finish and get their responses, then we
 *   return 0;
 * - SIGINT/SIGTERM (the client gave up waiting), or stdout breaks (the client is gone): operations in
 *   flight are aborted through their signal, their clean-up is awaited, then we return 130/143 (1 when
 *   stdout broke).
 */
export async function runMcpServer(service: TkService, opts: RunMcpOptions): Promise<number> {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const guard = guardStdout(stdout, stderr);
  const inflight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  const settleInflight = async () => {
    // A request read just before EOF is dispatched a few ticks later: let it register first.
    await new Promise((r) => setImmediate(r));
    while (inflight.size > 0) {
      await Promise.allSettled([...inflight]);
      await new Promise((r) => setImmediate(r));
    }
  };
  let exitCode = 0;
  try {
    const server = createMcpServer(service, opts, { track });
    const transport = new StdioServerTransport(stdin as NodeJS.ReadStream, guard.protocol);
    const closed = new Promise<void>((resolve) => {
      server.server.onclose = resolve;
    });
    server.server.onerror = (e) => {
      stderr.write(`tk mcp: ${formatError(toTkError(e))}\n`);
    };
    let closing = false;
    /** Closing the server aborts every request handler still running (the SDK does it). */
    const abortAndClose = () => {
      closing = true;
      void server.close().catch(() => {});
    };
    const drainAndClose = () => {
      if (closing) return;
      closing = true;
      void settleInflight().then(() => server.close().catch(() => {}));
    };
    const onSignal = (sig: NodeJS.Signals) => {
      exitCode = sig === 'SIGINT' ? 130 : 143;
      abortAndClose();
    };
    const onBrokenStdout = (e: Error) => {
      if (exitCode === 0) exitCode = 1;
      stderr.write(`tk mcp: cannot write to the client (${e.message}); stopping.\n`);
      abortAndClose();
    };
    guard.protocol.on('error', onBrokenStdout);
    stdout.on('error', onBrokenStdout);
    stdin.once('end', drainAndClose);
    stdin.once('close', drainAndClose);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await server.connect(transport);
      await closed;
      await settleInflight();
    } finally {
      stdin.off('end', drainAndClose);
      stdin.off('close', drainAndClose);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (!guard.protocol.destroyed) await new Promise<void>((resolve) => guard.protocol.end(resolve));
    stdout.off('error', onBrokenStdout);
  } finally {
    guard.restore();
  }
  return exitCode;
}
