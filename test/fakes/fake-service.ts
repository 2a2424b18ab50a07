// A behaving in-memory TkService for the dashboard: VMs change state, spawns walk through the
// provisioning phases (reporting progress and writing phase markers to a real log file), destroy
// removes rows, failures can be scripted. No module mocks.
import { appendFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DestroyPlan, DestroyReport, Phase, PrResult, SpawnResult, VmDetails, VmView, WorktreeChanges } from '../../src/core/model.js';
import type { ExecIo, InteractiveCommand, OpOptions, TkService } from '../../src/core/service.js';
import { TkError } from '../../src/core/errors.js';

export interface FakeServiceOptions {
  /** TK_HOME-like directory for logs and agent status files. */
  home: string;
  vms?: VmView[];
  /** Generate this many VMs (tachikoma-<repo>-feat-<i>) when `vms` is not given. */
  count?: number;
  /** Command `enter` hands the terminal to. */
  enter?: InteractiveCommand;
  branches?: string[];
  /** Delay of each provisioning phase, ms. */
  stepMs?: number;
  /** Delay of list(), ms. */
  listDelayMs?: number;
  /** Implement the optional `pr` method. */
  withPr?: boolean;
  now?: number;
}

type Method = 'list' | 'spawn' | 'resume' | 'halt' | 'suspend' | 'destroy' | 'destroyPlan' | 'exec' | 'enterCommand' | 'changes' | 'pr';

const SPAWN_PHASES: Phase[] = ['worktree', 'clone', 'configure', 'boot', 'ip', 'ssh', 'ssh-key', 'mount', 'git', 'profile', 'agent-install', 'agent-config', 'scripts'];

export function makeVm(i: number, over: Partial<VmView> = {}, now = Date.parse('2026-11-25T08:00:00Z')): VmView {
  const repos = ['api', 'web', 'infra'];
  const repo = repos[i % repos.length] as string;
  const branch = `feat/task-${String(i).padStart(3, '0')}`;
  const states: VmView['status'][] = ['running', 'running', 'stopped', 'suspended'];
  const status = states[i % states.length] as VmView['status'];
  return {
    name: `tachikoma-${repo}-${branch.replace('/', '-')}`,
    repo,
    branch,
    status,
    tracked: true,
    ip: status === 'running' ? `127.0.${Math.floor(i / 250)}.${(i % 250) + 2}` : null,
    worktree: `/work/${repo}/.worktrees/${branch.replace('/', '-')}`,
    last_used: new Date(now - i * 7 * 60_000).toISOString(),
    created_at: new Date(now - 86_400_000).toISOString(),
    disk_gb: 50,
    size_gb: 4 + (i % 7) * 1.5,
    phase: 'ready',
    provision_result: 'ok',
    provision_error: null,
    ...over,
  };
}

export class FakeService implements TkService {
  vms: VmView[];
  readonly home: string;
  listCalls = 0;
  changesCalls = 0;
  hangList = false;
  private failures = new Map<Method, Error>();
  private changeCounts = new Map<string, WorktreeChanges>();
  readonly opts: FakeServiceOptions;
  pr?: (name: string, opts?: OpOptions) => Promise<PrResult>;

  constructor(opts: FakeServiceOptions) {
    this.opts = opts;
    this.home = opts.home;
    const now = opts.now ?? Date.now();
    this.vms = opts.vms ?? Array.from({ length: opts.count ?? 5 }, (_, i) => makeVm(i, {}, now));
    mkdirSync(join(this.home, 'logs'), { recursive: true });
    if (opts.withPr) {
      this.pr = async (name: string) => {
        this.take('pr');
        this.find(name);
        return { url: `https://example.invalid/pr/${name}`, committed: true };
      };
    }
  }

  failNext(method: Method, err: Error): void {
    this.failures.set(method, err);
  }

  setChanges(name: string, c: WorktreeChanges): void {
    this.changeCounts.set(name, c);
  }

  private take(m: Method): void {
    const e = this.failures.get(m);
    if (e) {
      this.failures.delete(m);
      throw e;
    }
  }

  private find(name: string): VmView {
    const vm = this.vms.find((v) => v.name === name);
    if (!vm) throw new TkError('vm', `no VM named ${name}`, { hint: 'Run `tk list` to see the VMs.' });
    return vm;
  }

  private update(name: string, patch: Partial<VmView>): void {
    this.vms = this.vms.map((v) => (v.name === name ? { ...v, ...patch } : v));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  private log(name: string, line: string): void {
    appendFileSync(this.logPath(name), line + '\n');
  }

  async resolveName(_cwd: string, name?: string): Promise<string> {
    return name ?? this.vms[0]?.name ?? 'tachikoma-none';
  }

  async list(): Promise<VmView[]> {
    this.listCalls++;
    if (this.opts.listDelayMs) await this.sleep(this.opts.listDelayMs);
    while (this.hangList) await this.sleep(20);
    this.take('list');
    return this.vms.map((v) => ({ ...v }));
  }

  async status(name: string): Promise<VmView> {
    return { ...this.find(name) };
  }

  async changes(name: string): Promise<WorktreeChanges | null> {
    this.changesCalls++;
    this.take('changes');
    const vm = this.vms.find((v) => v.name === name);
    if (!vm?.worktree) return null;
    const set = this.changeCounts.get(name);
    if (set) return set;
    if (existsSync(vm.worktree)) {
      // Real directory (tests of the watcher): every top-level file except .git counts as a change.
      const files = readdirSync(vm.worktree).filter((f) => f !== '.git' && f !== 'node_modules');
      return { changed: files.length, ahead: 0, behind: 0 };
    }
    return { changed: name.length % 4, ahead: name.length % 3, behind: 0 };
  }

  async spawn(opts: OpOptions & { cwd: string; branch?: string }): Promise<SpawnResult> {
    this.take('spawn');
    const branch = opts.branch ?? 'main';
    const name = `tachikoma-fake-${branch.replace(/[^a-zA-Z0-9]+/g, '-')}`;
    const start = Date.now();
    const step = this.opts.stepMs ?? 50;
    const existing = this.vms.find((v) => v.name === name);
    if (existing?.status === 'running') return { kind: 'reconnected', name, ip: existing.ip ?? '', branch, worktree: existing.worktree ?? '', provisioned: [], skipped: [] };
    this.log(name, `spawn ${branch}`);
    for (const phase of SPAWN_PHASES) {
      opts.onProgress?.({ vm: name, phase, message: phase, elapsedMs: Date.now() - start });
      this.log(name, `@@tk phase=${phase} event=start at=${new Date().toISOString()}`);
      if (phase === 'clone' && !this.vms.some((v) => v.name === name)) {
        this.vms = [...this.vms, { ...makeVm(0), name, branch, repo: 'fake', status: 'stopped', ip: null, worktree: join(this.home, 'wt', name), phase, provision_result: 'running', last_used: new Date().toISOString() }];
      } else {
        this.update(name, { phase, provision_result: 'running' });
      }
      if (phase === 'boot') this.update(name, { status: 'running' });
      if (phase === 'ip') this.update(name, { ip: '127.0.0.99' });
      await this.sleep(step);
      this.log(name, `output of ${phase}`);
      this.log(name, `@@tk phase=${phase} event=end result=ok at=${new Date().toISOString()} ms=${step}`);
    }
    this.update(name, { phase: 'ready', provision_result: 'ok' });
    return { kind: 'created', name, ip: '127.0.0.99', branch, worktree: join(this.home, 'wt', name), provisioned: [], skipped: [] };
  }

  async provision(name: string): Promise<SpawnResult> {
    const vm = this.find(name);
    return { kind: 'started', name, ip: vm.ip ?? '', branch: vm.branch ?? '', worktree: vm.worktree ?? '', provisioned: [], skipped: [] };
  }

  async resume(name: string, opts: OpOptions = {}): Promise<SpawnResult> {
    this.take('resume');
    const vm = this.find(name);
    const start = Date.now();
    for (const phase of ['boot', 'ip', 'ssh', 'mount'] as Phase[]) {
      opts.onProgress?.({ vm: name, phase, message: phase, elapsedMs: Date.now() - start });
      await this.sleep(this.opts.stepMs ?? 50);
    }
    this.update(name, { status: 'running', ip: vm.ip ?? '127.0.0.77', phase: 'ready' });
    return { kind: vm.status === 'suspended' ? 'resumed' : 'started', name, ip: vm.ip ?? '127.0.0.77', branch: vm.branch ?? '', worktree: vm.worktree ?? '', provisioned: [], skipped: [] };
  }

  async halt(name: string): Promise<void> {
    this.take('halt');
    this.find(name);
    await this.sleep(this.opts.stepMs ?? 50);
    this.update(name, { status: 'stopped', ip: null });
  }

  async suspend(name: string): Promise<void> {
    this.take('suspend');
    const vm = this.find(name);
    if (vm.status !== 'running') throw new TkError('vm', `${name} is not running`, { hint: 'Only a running VM can be suspended.' });
    await this.sleep(this.opts.stepMs ?? 50);
    this.update(name, { status: 'suspended', ip: null });
  }

  async destroyPlan(name: string): Promise<DestroyPlan> {
    this.take('destroyPlan');
    const vm = this.find(name);
    const c = await this.changes(name);
    return {
      name,
      vmExists: vm.status !== 'missing',
      diskSizeGb: vm.size_gb,
      worktree: vm.worktree,
      worktreeIsMain: false,
      uncommittedChanges: c?.changed ?? 0,
      unpushedCommits: c?.ahead ?? 0,
      branch: vm.branch,
    };
  }

  async destroy(name: string, _opts: OpOptions & { discardChanges: boolean }): Promise<DestroyReport> {
    this.take('destroy');
    this.find(name);
    await this.sleep(this.opts.stepMs ?? 50);
    this.vms = this.vms.filter((v) => v.name !== name);
    return { name, vmDeleted: true, stateRemoved: true, logsRemoved: true, worktreeRemoved: true, worktreeKeptReason: null };
  }

  async exec(name: string, argv: string[], io: ExecIo): Promise<number> {
    this.take('exec');
    this.find(name);
    io.stdout(`ran: ${argv.join(' | ')}\n`);
    io.stderr('second line\n');
    return 0;
  }

  async enterCommand(name: string): Promise<InteractiveCommand> {
    this.take('enterCommand');
    this.find(name);
    return this.opts.enter ?? { file: 'bash', args: ['--norc', '-i'] };
  }

  logPath(name: string): string {
    return join(this.home, 'logs', `${name}.log`);
  }

  async branches(): Promise<string[]> {
    return this.opts.branches ?? ['main', 'feat/login', 'feat/logout', 'fix/crash'];
  }

  async details(name: string): Promise<VmDetails> {
    const vm = this.find(name);
    return { name, base_image: 'ghcr.io/cirruslabs/ubuntu:latest', os: 'linux', cpu: 4, memory_mb: 8192, started_at: vm.status === 'running' ? new Date(Date.now() - 3_600_000).toISOString() : null };
  }
}
