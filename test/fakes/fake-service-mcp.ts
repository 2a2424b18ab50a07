// A behaving in-memory TkService for the MCP server's tests. VMs live in a Map; worktrees and logs are
// real directories and files under `root`; exec really runs the argv on this machine in the VM's
// worktree (so quoting, exit codes, timeouts and cancellation are exercised for real).
import { spawn as spawnChild } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TkError } from '../../src/core/errors.js';
import { PROVISION_STEPS } from '../../src/core/model.js';
import type { DestroyPlan, DestroyReport, Phase, SpawnResult, TartState, VmView, WorktreeChanges } from '../../src/core/model.js';
import type { ExecIo, InteractiveCommand, OpOptions, TkService } from '../../src/core/service.js';

export interface FakeVm {
  name: string;
  repo: string;
  branch: string;
  worktree: string;
  status: TartState;
  os: 'linux' | 'darwin';
  ip: string;
  uncommitted: number;
  unpushed: number;
  created_at: string;
}

export interface FakeServiceOptions {
  root: string;
  /** Delay between progress phases (ms); lets tests cancel mid-operation. */
  stepDelayMs?: number;
  /** exec's kill does not take (like a guest process that outlives its closed ssh session). */
  execIgnoresKill?: boolean;
  /** Called at the start of every service method (e.g. to write noise to stdout). */
  onCall?: (method: keyof TkService) => void;
}

const SPAWN_PHASES: Phase[] = ['worktree', 'clone', 'configure', 'boot', 'ip', 'ssh', ...PROVISION_STEPS, 'ready'];
const START_PHASES: Phase[] = ['boot', 'ip', 'ssh', 'mount', 'ready'];

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

function interrupted(what: string): TkError {
  return new TkError('interrupted', `${what} interrupted.`, { hint: 'Run it again to continue where it stopped.' });
}

export class FakeService implements TkService {
  readonly vms = new Map<string, FakeVm>();
  readonly calls: { method: keyof TkService; args: unknown[] }[] = [];
  /** How long operations ended: the error's code, or 'ok'. */
  readonly outcomes: { method: keyof TkService; vm: string; result: string }[] = [];
  private nextIp = 2;

  constructor(private readonly opts: FakeServiceOptions) {
    mkdirSync(join(opts.root, 'logs'), { recursive: true });
    mkdirSync(join(opts.root, 'worktrees'), { recursive: true });
  }

  private call(method: keyof TkService, ...args: unknown[]): void {
    this.calls.push({ method, args });
    this.opts.onCall?.(method);
  }

  /** Adds a VM directly (as if spawned earlier). */
  add(vm: Partial<FakeVm> & { branch: string; repo?: string }): FakeVm {
    const repo = vm.repo ?? 'demo';
    const name = vm.name ?? `tachikoma-${slug(repo)}-${slug(vm.branch)}`;
    const worktree = vm.worktree ?? join(this.opts.root, 'worktrees', name);
    mkdirSync(worktree, { recursive: true });
    const full: FakeVm = {
      name,
      repo,
      branch: vm.branch,
      worktree,
      status: vm.status ?? 'running',
      os: vm.os ?? 'linux',
      ip: vm.ip ?? `127.0.10.${this.nextIp++}`,
      uncommitted: vm.uncommitted ?? 0,
      unpushed: vm.unpushed ?? 0,
      created_at: vm.created_at ?? '2026-11-25T07:00:00.000Z',
    };
    this.vms.set(name, full);
    return full;
  }

  private get(name: string): FakeVm {
    const vm = this.vms.get(name);
    if (!vm) throw new TkError('vm', `No VM named ${name}.`, { hint: 'Run `tk list` to see your VMs, or `tk spawn` to create one.' });
    return vm;
  }

  private log(vm: string, line: string): void {
    appendFileSync(this.logPath(vm), `${line}\n`);
  }

  private async phases(vm: string, phases: Phase[], what: string, opts: OpOptions | undefined): Promise<void> {
    const started = Date.now();
    for (const phase of phases) {
      if (opts?.signal?.aborted) throw interrupted(what);
      this.log(vm, `@@tk phase=${phase} event=start at=${new Date().toISOString()}`);
      opts?.onProgress?.({ vm, phase, message: `${phase}…`, elapsedMs: Date.now() - started });
      if (this.opts.stepDelayMs) await new Promise((r) => setTimeout(r, this.opts.stepDelayMs));
      if (opts?.signal?.aborted) throw interrupted(what);
      this.log(vm, `@@tk phase=${phase} event=end result=ok at=${new Date().toISOString()}`);
    }
  }

  private view(v: FakeVm): VmView {
    return {
      name: v.name,
      repo: v.repo,
      branch: v.branch,
      status: v.status,
      tracked: true,
      ip: v.status === 'running' ? v.ip : null,
      worktree: v.worktree,
      last_used: v.created_at,
      created_at: v.created_at,
      disk_gb: 50,
      size_gb: 3.2,
      phase: 'ready',
      provision_result: 'ok',
      provision_error: null,
    };
  }

  private result(v: FakeVm, kind: SpawnResult['kind'], provisioned: SpawnResult['provisioned'], skipped: SpawnResult['skipped'] = []): SpawnResult {
    return { kind, name: v.name, ip: v.ip, branch: v.branch, worktree: v.worktree, provisioned, skipped };
  }

  async resolveName(cwd: string, name?: string): Promise<string> {
    this.call('resolveName', cwd, name);
    if (name !== undefined) return name;
    return `tachikoma-${slug(basename(cwd))}-main`;
  }

  async list(opts?: { repo?: string }): Promise<VmView[]> {
    this.call('list', opts);
    return [...this.vms.values()].filter((v) => opts?.repo === undefined || v.repo === opts.repo).map((v) => this.view(v));
  }

  async status(name: string): Promise<VmView> {
    this.call('status', name);
    return this.view(this.get(name));
  }

  async changes(name: string): Promise<WorktreeChanges | null> {
    this.call('changes', name);
    const v = this.get(name);
    return { changed: v.uncommitted, ahead: v.unpushed, behind: 0 };
  }

  async spawn(opts: OpOptions & { cwd: string; branch?: string }): Promise<SpawnResult> {
    this.call('spawn', { cwd: opts.cwd, branch: opts.branch });
    const repo = basename(opts.cwd);
    const branch = opts.branch ?? 'main';
    const name = `tachikoma-${slug(repo)}-${slug(branch)}`;
    const existing = this.vms.get(name);
    if (existing) {
      if (existing.status === 'running') return this.result(existing, 'reconnected', []);
      return this.resume(name, opts);
    }
    const worktree = join(this.opts.root, 'worktrees', name);
    try {
      await this.phases(name, SPAWN_PHASES, `Spawning ${name}`, opts);
    } catch (e) {
      // Nothing half-made survives an interrupted spawn.
      rmSync(worktree, { recursive: true, force: true });
      this.outcomes.push({ method: 'spawn', vm: name, result: e instanceof TkError ? e.code : 'error' });
      throw e;
    }
    const vm = this.add({ name, repo, branch, worktree });
    this.outcomes.push({ method: 'spawn', vm: name, result: 'ok' });
    return this.result(vm, 'created', [...PROVISION_STEPS]);
  }

  async provision(name: string, opts?: OpOptions): Promise<SpawnResult> {
    this.call('provision', name);
    const v = this.get(name);
    await this.phases(name, [...PROVISION_STEPS], `Provisioning ${name}`, opts);
    v.status = 'running';
    // Like the engine with no provision_scripts: that step is skipped, not provisioned.
    return this.result(v, 'started', PROVISION_STEPS.filter((s) => s !== 'scripts'), [{ step: 'scripts', reason: 'no provision_scripts or profiles' }]);
  }

  async resume(name: string, opts?: OpOptions): Promise<SpawnResult> {
    this.call('resume', name);
    const v = this.get(name);
    if (v.status === 'running') return this.result(v, 'reconnected', []);
    const kind = v.status === 'suspended' ? 'resumed' : 'started';
    await this.phases(name, START_PHASES, `Starting ${name}`, opts);
    v.status = 'running';
    return this.result(v, kind, []);
  }

  async halt(name: string, opts?: OpOptions): Promise<void> {
    this.call('halt', name);
    const v = this.get(name);
    if (v.status === 'stopped') return;
    // Like a real halt polling Tart: the same state is reported more than once.
    opts?.onProgress?.({ vm: name, phase: 'boot', message: 'stopping', elapsedMs: 0 });
    opts?.onProgress?.({ vm: name, phase: 'boot', message: 'stopping', elapsedMs: 5 });
    v.status = 'stopped';
    opts?.onProgress?.({ vm: name, phase: 'boot', message: 'stopped', elapsedMs: 10 });
  }

  async suspend(name: string, _opts?: OpOptions): Promise<void> {
    this.call('suspend', name);
    const v = this.get(name);
    if (v.os === 'linux') {
      throw new TkError('vm', `Cannot suspend ${name}: Tart suspends only macOS guests, and this is a Linux VM.`, {
        hint: `Use \`tk halt ${name}\` to stop it; spawn or resume start it again.`,
      });
    }
    if (v.status !== 'running') throw new TkError('vm', `Cannot suspend ${name}: it is ${v.status}.`, { hint: 'Only a running VM can be suspended.' });
    v.status = 'suspended';
  }

  async destroyPlan(name: string): Promise<DestroyPlan> {
    this.call('destroyPlan', name);
    const v = this.get(name);
    return {
      name,
      vmExists: true,
      diskSizeGb: 3.2,
      worktree: v.worktree,
      worktreeIsMain: false,
      uncommittedChanges: v.uncommitted,
      unpushedCommits: v.unpushed,
      branch: v.branch,
    };
  }

  async destroy(name: string, opts: OpOptions & { discardChanges: boolean }): Promise<DestroyReport> {
    this.call('destroy', name, { discardChanges: opts.discardChanges });
    const v = this.get(name);
    opts.onProgress?.({ vm: name, phase: 'worktree', message: 'deleting VM', elapsedMs: 0 });
    const keep = (v.uncommitted > 0 || v.unpushed > 0) && !opts.discardChanges;
    if (!keep) rmSync(v.worktree, { recursive: true, force: true });
    rmSync(this.logPath(name), { force: true });
    this.vms.delete(name);
    return {
      name,
      vmDeleted: true,
      stateRemoved: true,
      logsRemoved: true,
      worktreeRemoved: !keep,
      worktreeKeptReason: keep ? `${v.uncommitted} uncommitted changes, ${v.unpushed} unpushed commits` : null,
    };
  }

  async exec(name: string, argv: string[], io: ExecIo): Promise<number> {
    this.call('exec', name, argv);
    const v = this.get(name);
    if (v.status !== 'running') throw new TkError('vm', `${name} is ${v.status}, not running.`, { hint: `Start it with \`tk resume ${name}\`.` });
    const [file, ...args] = argv;
    if (file === undefined) throw new TkError('usage', 'exec needs a command.');
    if (io.signal?.aborted) throw interrupted(`Command in ${name}`);
    return new Promise<number>((resolve, reject) => {
      // Like ssh: without io.stdin the remote stdin stays open (a reader waits); with it, it ends when the iterable does.
      // A VM has its own home and environment: the command must not source this host's login files
      // (a `bash -lc` here ran the host's pyenv init, and a test that kills it mid-rehash left a
      // stale pyenv lock that then stalled every login shell on the machine for 60 s).
      const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: this.opts.root, LANG: 'C.UTF-8' };
      const child = spawnChild(file, args, { cwd: v.worktree, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      if (io.stdin) {
        const input = io.stdin;
        void (async () => {
          for await (const c of input) child.stdin.write(c);
          child.stdin.end();
        })().catch(() => child.stdin.destroy());
      }
      child.stdin.on('error', () => {});
      let timedOut = false;
      let aborted = false;
      const killGroup = () => {
        if (this.opts.execIgnoresKill) return;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const timer = io.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), killGroup()), io.timeoutMs);
      const onAbort = () => ((aborted = true), killGroup());
      io.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (c: Buffer) => io.stdout(c));
      child.stderr.on('data', (c: Buffer) => io.stderr(c));
      child.on('error', (e) => reject(new TkError('ssh', `Cannot run the command in ${name}: ${e.message}`)));
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        io.signal?.removeEventListener('abort', onAbort);
        this.outcomes.push({ method: 'exec', vm: name, result: aborted ? 'interrupted' : 'ok' });
        if (aborted) reject(interrupted(`Command in ${name}`));
        else if (timedOut) resolve(124);
        else resolve(code ?? (signal ? 128 + 9 : 1));
      });
    });
  }

  async enterCommand(name: string): Promise<InteractiveCommand> {
    this.call('enterCommand', name);
    const v = this.get(name);
    return { file: 'ssh', args: [`admin@${v.ip}`] };
  }

  logPath(name: string): string {
    return join(this.opts.root, 'logs', `${name}.log`);
  }
}
