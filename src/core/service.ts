// The application surface. The CLI commands, the dashboard and the MCP server all call this,
// never each other and never `tk` as a subprocess. Implemented in src/core/app.ts over the ports.
import type { DestroyPlan, DestroyReport, PrPlan, PrResult, ProgressFn, SpawnResult, VmDetails, VmView, WorktreeChanges } from './model.js';

export interface OpOptions {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface ExecIo {
  stdout: (chunk: Uint8Array | string) => void;
  stderr: (chunk: Uint8Array | string) => void;
  /** Forwarded to the remote command's stdin when given. */
  stdin?: AsyncIterable<Uint8Array | string>;
  signal?: AbortSignal;
  /** Kill the remote command after this many ms (exit code 124). */
  timeoutMs?: number;
}

/** Argv for an interactive OpenSSH session. The caller runs it with the terminal inherited. */
export interface InteractiveCommand {
  file: string;
  args: string[];
  env?: Record<string, string>;
}

export interface TkService {
  /** VM name for NAME, or the current branch's VM when NAME is omitted. */
  resolveName(cwd: string, name?: string): Promise<string>;
  list(opts?: { repo?: string }): Promise<VmView[]>;
  status(name: string): Promise<VmView>;
  /** Worktree changes for the board (hardened host git). */
  changes(name: string): Promise<WorktreeChanges | null>;

  spawn(opts: OpOptions & { cwd: string; branch?: string }): Promise<SpawnResult>;
  provision(name: string, opts?: OpOptions): Promise<SpawnResult>;
  resume(name: string, opts?: OpOptions): Promise<SpawnResult>;
  halt(name: string, opts?: OpOptions): Promise<void>;
  /** Real `tart suspend` (macOS guests); a TkError with the explanation for Linux guests. */
  suspend(name: string, opts?: OpOptions): Promise<void>;
  destroyPlan(name: string): Promise<DestroyPlan>;
  destroy(name: string, opts: OpOptions & { discardChanges: boolean }): Promise<DestroyReport>;

  /** Runs argv in the VM's worktree, quoting kept; resolves with the remote exit code. */
  exec(name: string, argv: string[], io: ExecIo): Promise<number>;
  /** The interactive ssh command for `enter` (refreshes the IP; starts nothing). */
  enterCommand(name: string, opts?: { agent?: boolean; term?: string }): Promise<InteractiveCommand>;

  /** Path of the VM's log file (provisioning + tart run output, with phase markers). */
  logPath(name: string): string;

  // Optional until the engine implements them; the dashboard says so when one is missing.
  /** Local and remote branch names of the repository at cwd (spawn prompt completion). */
  branches?(cwd: string): Promise<string[]>;
  /** Image, CPU, memory, start time for the details pane (may call `tart get` once: callers cache). */
  details?(name: string): Promise<VmDetails>;
  /** Commit pending changes, push, `gh pr create --fill` in the VM's worktree (host side). */
  pr?(name: string, opts?: OpOptions): Promise<PrResult>;
  /** What `pr` would do (branch, push URL or why it would refuse, uncommitted and unpushed counts); changes nothing. */
  prPlan?(name: string): Promise<PrPlan>;
  /** Path of the VM's agent status file (contracts.md: <home>/vms/<vm>/status/agent.json). */
  agentStatusPath?(name: string): string;
}
