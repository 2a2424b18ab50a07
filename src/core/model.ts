// Domain types shared by the core, the CLI, the dashboard and the MCP server.
// Pure data: no I/O here. JSON field names that leave the process (state.json, --json output)
// are snake_case and documented in README ("JSON output").

/** Tart's three VM states, exactly as `tart list` prints them. */
export type TartState = 'running' | 'suspended' | 'stopped';

/** One row of `tart list --format json`, parsed (never string-matched; key order is not relied on). */
export interface TartVm {
  name: string;
  source: 'local' | 'OCI';
  state: TartState;
  running: boolean;
  /** Logical disk size in GB (`Disk`). */
  diskGb: number;
  /** Allocated size in GB (`Size`). */
  sizeGb: number;
  /** ISO-8601 access time (`Accessed`), when Tart reports it. */
  accessed?: string;
}

/** `tart get --format json`, parsed. `tart get` bumps the VM's access time: cache it. */
export interface TartVmInfo {
  os: 'linux' | 'darwin';
  cpu: number;
  memoryMb: number;
  diskGb: number;
  sizeGb: number;
  display: string;
  state: TartState;
}

/** Status tk stores for a VM (lowercase, as tachikoma's state.json). */
export type StoredStatus = 'running' | 'suspended' | 'stopped';

/** Provisioning steps, in order. Each is recorded when done so a later spawn resumes. */
export const PROVISION_STEPS = [
  'ssh-key', // authorize tk's SSH key in the guest
  'mount', // virtiofs mount of the shares (re-done on every start)
  'git', // worktree .git plumbing, safe.directory, identity
  'hostname', // hostname = branch slug
  'profile', // ~/.profile: cd, TACHIKOMA=1, proxy/credential env
  'agent-install', // agent_install_command (Claude Code)
  'agent-config', // onboarding state, settings, MCP env, hooks
  'scripts', // user provision_scripts and profiles
] as const;
export type ProvisionStep = (typeof PROVISION_STEPS)[number];

/** Lifecycle phases shown by the dashboard and `tk logs` (a superset of provisioning steps). */
export type Phase =
  | 'worktree'
  | 'clone'
  | 'configure' // tart set (cpu, memory, display, random MAC)
  | 'boot' // tart run started
  | 'ip' // waiting for an IP
  | 'ssh' // waiting for sshd
  | ProvisionStep
  | 'ready'
  | 'failed';

/** Per-VM provisioning record, kept in state.json so spawns are resumable. */
export interface ProvisionRecord {
  /** Steps that completed, in order. `mount` is redone on every start regardless. */
  done: ProvisionStep[];
  /** Current or last phase. */
  phase?: Phase;
  result?: 'ok' | 'failed' | 'running';
  error?: string;
  updated_at?: string;
}

/**
 * One VM in tk's state file. Fields up to `ip` are tachikoma's schema version 1, in its order,
 * so its users can switch both ways. Fields after are tk's additions (tachikoma ignores unknown fields).
 */
export interface VmRecord {
  name: string;
  repo: string;
  branch: string;
  worktree_path: string;
  created_at: string;
  last_used: string;
  status: StoredStatus;
  ip: string | null;
  /** Absolute path of the main repository (not a linked worktree). */
  repo_root?: string;
  base_image?: string;
  os?: 'linux' | 'darwin';
  provision?: ProvisionRecord;
  /** SSH host key (OpenSSH line) seen at first boot: an IP counts only when it answers with this key. */
  host_key?: string;
  /** Started with `tart run --suspendable` (macOS guests). */
  suspendable?: boolean;
  /** When tk last started the VM (`tart run`); cleared when it stops. Uptime in the dashboard. */
  started_at?: string;
  /**
   * `remote.origin.url` of the main repository, read when the VM was first spawned (before it
   * ever booted) and valid by the `tk pr` rule (src/core/pr.ts): where `tk pr` pushes.
   */
  push_url?: string;
}

/** Live view of a VM: state.json merged with `tart list`. This is the `list --json` element. */
export interface VmView {
  name: string;
  repo: string | null;
  branch: string | null;
  /**
   * `running` | `suspended` | `stopped` from Tart;
   * `missing` when tk has a record but Tart has no such VM (deleted out of band);
   * `untracked` never: see `tracked`.
   */
  status: TartState | 'missing';
  /** false for a `tachikoma-*` VM that Tart has but tk's state does not. */
  tracked: boolean;
  ip: string | null;
  worktree: string | null;
  last_used: string | null;
  created_at: string | null;
  disk_gb: number | null;
  size_gb: number | null;
  phase: Phase | null;
  provision_result: ProvisionRecord['result'] | null;
  provision_error: string | null;
}

export type SpawnOutcome = 'created' | 'started' | 'resumed' | 'reconnected';

export interface SpawnResult {
  kind: SpawnOutcome;
  name: string;
  ip: string;
  branch: string;
  worktree: string;
  /** Steps this spawn ran and completed (empty on a plain reconnect). Never a skipped step. */
  provisioned: ProvisionStep[];
  /** Steps this spawn considered but did not need to run (no agent_install_command, macOS guest, …), with why. */
  skipped: SkippedStep[];
}

/** A provisioning step that was not run because it was not needed; `reason` is tk's own words. */
export interface SkippedStep {
  step: ProvisionStep;
  reason: string;
}

/** Progress reported by long operations (spinner on a TTY, log lines, MCP progress, dashboard rows). */
export interface ProgressEvent {
  vm: string;
  phase: Phase;
  message: string;
  /** ms since the operation started. */
  elapsedMs: number;
}
export type ProgressFn = (e: ProgressEvent) => void;

/** What `destroy` will remove, shown before confirming. */
export interface DestroyPlan {
  name: string;
  vmExists: boolean;
  diskSizeGb: number | null;
  worktree: string | null;
  /** Main checkout is never removed. */
  worktreeIsMain: boolean;
  uncommittedChanges: number;
  unpushedCommits: number;
  branch: string | null;
}

export interface DestroyReport {
  name: string;
  vmDeleted: boolean;
  stateRemoved: boolean;
  logsRemoved: boolean;
  worktreeRemoved: boolean;
  /** Why the worktree was kept, when it was. */
  worktreeKeptReason: string | null;
}

export interface WorktreeChanges {
  /** Files changed (staged, unstaged, untracked). */
  changed: number;
  ahead: number;
  behind: number;
}

/** Static facts about a VM for the dashboard's details pane (cached by callers: `tart get` bumps access time). */
export interface VmDetails {
  name: string;
  base_image: string | null;
  os: 'linux' | 'darwin' | null;
  cpu: number | null;
  memory_mb: number | null;
  /** When the VM was last started by tk (uptime), if known. */
  started_at: string | null;
}

/** What `tk pr` would do, shown before confirming (the MCP pr tool without confirm). Reads only. */
export interface PrPlan {
  name: string;
  branch: string;
  worktree: string;
  /** The URL the branch would be pushed to (recorded at spawn, else origin's by the same rule); null when tk would refuse. */
  pushUrl: string | null;
  /** The GitHub host gh would target (`github.com` or a `github_hosts` entry); null when tk would refuse or for a local test remote. */
  githubHost: string | null;
  /** Why tk would refuse to push (no remote, or one it does not trust); null when it would push. */
  pushRefused: string | null;
  /** Files changed in the worktree (they would be committed); null when git could not read the worktree. */
  uncommittedChanges: number | null;
  /** Commits not on any remote yet (they would be pushed); null when git could not read the worktree. */
  unpushedCommits: number | null;
}

export interface PrResult {
  /** URL printed by `gh pr create`. */
  url: string;
  /** Commit made from uncommitted changes, if any. */
  committed: boolean;
  /** Branch pushed (refs/heads/<branch> at `pushed_to`). */
  branch?: string;
  /** URL pushed to. */
  pushed_to?: string;
}
