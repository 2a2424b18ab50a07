// TkService over the ports: what the CLI, the dashboard and the MCP server call.
import { isMissingVmError, TkError, toTkError } from './errors.js';
import { combineStat, commitMessage, nothingToCommit, trustedRemote, type TrustedRemote, type TrustOptions } from './pr.js';
import type { DestroyPlan, DestroyReport, PrPlan, PrResult, ProgressEvent, SpawnResult, TartVmInfo, VmDetails, VmRecord, VmView, WorktreeChanges } from './model.js';
import { resolveVmName } from './naming.js';
import { findVm, removeVm, upsertVm } from './state.js';
import { mergeViews } from './views.js';
import { guestWorktree, shq } from './provision.js';
import { Orchestrator, type EngineDeps, type Reporter } from './orchestrator.js';
import type { ExecIo, InteractiveCommand, OpOptions, TkService } from './service.js';
import type { PrPort } from '../ports/git.js';

export function notFound(name: string): TkError {
  return new TkError('vm', `No VM named ${JSON.stringify(name)}.`, { hint: 'See `tk list` for the VMs tk knows, or create it with `tk spawn BRANCH`.' });
}

function interrupted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new TkError('interrupted', 'Interrupted.', { hint: 'Run the same tk command again: it resumes where it stopped.' });
}

export interface AppOptions {
  /** The ssh binary for `enter` (default `ssh`). */
  sshBinary?: string;
  /** How long halt waits for the guest to power off before `tart stop` (ms). */
  haltTimeoutMs?: number;
  /** `tk pr` may push to a local (`file://`) remote (tests only: a local push runs the target's hooks). */
  allowLocalPush?: boolean;
}

export class App implements TkService {
  readonly orch: Orchestrator;
  /** SSH exec round trips of the last provisioning (measurements). */
  lastRoundTrips = 0;

  constructor(
    readonly d: EngineDeps,
    readonly opts: AppOptions = {},
  ) {
    this.orch = new Orchestrator(d);
  }

  private reporter(vm: () => string, opts: OpOptions | undefined): Reporter {
    const t0 = this.d.clock.now();
    return (phase, message) => {
      const e: ProgressEvent = { vm: vm(), phase, message, elapsedMs: this.d.clock.now() - t0 };
      opts?.onProgress?.(e);
    };
  }

  private async record(name: string): Promise<VmRecord> {
    const rec = findVm(await this.d.store.read(), name);
    if (!rec) throw notFound(name);
    return rec;
  }

  async resolveName(cwd: string, name?: string): Promise<string> {
    if (name !== undefined) return name;
    const info = await this.d.git.repoInfo(cwd);
    const branch = await this.d.git.currentBranch(cwd);
    return resolveVmName(info.repoName, branch, (await this.d.store.read()).vms, info.mainRoot);
  }

  async list(opts: { repo?: string } = {}): Promise<VmView[]> {
    const [state, tart] = await Promise.all([this.d.store.read(), this.d.tart.list()]);
    return mergeViews(state.vms, tart, opts);
  }

  async status(name: string): Promise<VmView> {
    const v = (await this.list()).find((x) => x.name === name);
    if (!v) throw notFound(name);
    return v;
  }

  async changes(name: string): Promise<WorktreeChanges | null> {
    const rec = findVm(await this.d.store.read(), name);
    if (!rec) return null;
    return this.d.git.changes(rec.worktree_path).catch(() => null);
  }

  async spawn(opts: OpOptions & { cwd: string; branch?: string }): Promise<SpawnResult> {
    const { git, config, clock } = this.d;
    let vm = '';
    const report = this.reporter(() => vm, opts);
    const info = await git.repoInfo(opts.cwd);
    const branch = opts.branch ?? (await git.currentBranch(opts.cwd));
    // Provisional name for progress events (decided for good under the state lock below).
    vm = resolveVmName(info.repoName, branch, (await this.d.store.read()).vms, info.mainRoot);
    report('worktree', 'Preparing worktree...');
    const wt = await git.ensureWorktree({ mainRoot: info.mainRoot, repoName: info.repoName, branch, worktreeDir: config.worktree_dir });
    interrupted(opts.signal);
    // The push URL tk pr will trust, read now: a new VM has not booted yet, so it cannot have
    // written this repository's config through its own mount.
    const pushUrl = await this.trustableOrigin(info.mainRoot);
    // Name and intent in one locked update: parallel spawns of other branches never collide.
    const rec = await this.d.store.update((state) => {
      const name = resolveVmName(info.repoName, branch, state.vms, info.mainRoot);
      const now = new Date(clock.now()).toISOString();
      let r = findVm(state, name);
      if (!r) {
        r = {
          name,
          repo: info.repoName,
          branch,
          worktree_path: wt.path,
          created_at: now,
          last_used: now,
          status: 'stopped',
          ip: null,
          repo_root: info.mainRoot,
          base_image: config.base_image,
          provision: { done: [], phase: 'clone', result: 'running', updated_at: now },
          ...(pushUrl ? { push_url: pushUrl } : {}),
        };
        upsertVm(state, r);
      } else {
        r.worktree_path = wt.path;
        r.last_used = now;
      }
      return structuredClone(r);
    });
    vm = rec.name;
    const r = await this.locked(rec.name, async () => {
      // Re-read under the lock: another tk may have just finished (or removed) this VM.
      const fresh = findVm(await this.d.store.read(), rec.name) ?? rec;
      return this.orch.bringUp(fresh, report, opts.signal);
    });
    this.lastRoundTrips = r.roundTrips;
    return { kind: r.kind, name: rec.name, ip: r.ip, branch, worktree: wt.path, provisioned: r.provisioned, skipped: r.skipped };
  }

  /** Runs fn holding the VM's cross-process lock (waits for another tk working on it). */
  private async locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.d.host.lockVm(name, (this.d.config.boot_timeout_secs + 600) * 1000);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  async resume(name: string, opts: OpOptions = {}): Promise<SpawnResult> {
    await this.record(name);
    const r = await this.locked(name, async () => this.orch.bringUp(await this.record(name), this.reporter(() => name, opts), opts.signal));
    this.lastRoundTrips = r.roundTrips;
    const rec = await this.record(name);
    return { kind: r.kind, name, ip: r.ip, branch: rec.branch, worktree: rec.worktree_path, provisioned: r.provisioned, skipped: r.skipped };
  }

  async provision(name: string, opts: OpOptions = {}): Promise<SpawnResult> {
    // Everything again (all steps are idempotent), on a running VM (started when it is not).
    await this.orch.updateRecord(name, (r) => {
      r.provision = { done: r.provision?.done.includes('ssh-key') ? ['ssh-key'] : [], phase: r.provision?.phase ?? 'ready', result: 'running' };
    });
    return this.resume(name, opts);
  }

  /** A session to a running VM, its host key verified (IP refreshed when it changed). */
  private async connect(rec: VmRecord, signal?: AbortSignal) {
    const key = await this.d.host.ensureSshKey();
    const tryIp = async (ip: string) =>
      this.d.ssh.connect({
        host: ip,
        port: this.d.config.ssh_port,
        user: this.d.config.ssh_user,
        keyPath: key.keyPath,
        readyTimeoutMs: 5000,
        ...(signal ? { signal } : {}),
        verifyHostKey: (k) => !rec.host_key || k === rec.host_key,
      });
    if (rec.ip) {
      try {
        return { session: await tryIp(rec.ip), ip: rec.ip };
      } catch {
        // fall through: refresh the IP
      }
    }
    const ip = await this.d.tart.ip(rec.name, 5, signal);
    if (!ip) throw new TkError('vm', `The VM ${rec.name} has no IP address.`, { hint: `Check \`tk status ${rec.name}\` and its log (tk logs ${rec.name}); \`tk halt ${rec.name}\` then \`tk resume ${rec.name}\` restarts it.` });
    const session = await tryIp(ip).catch((e: unknown) => {
      throw new TkError('ssh', `Cannot reach ${rec.name} over SSH at ${ip}: ${toTkError(e).message}`, { hint: `Run \`tk spawn\` or \`tk resume ${rec.name}\` to finish its set-up.` });
    });
    if (ip !== rec.ip) await this.orch.updateRecord(rec.name, (r) => (r.ip = ip));
    return { session, ip };
  }

  private async requireRunning(name: string, what: string): Promise<VmRecord> {
    const rec = await this.record(name);
    const row = await this.orch.tartRow(name);
    if (!row) throw new TkError('vm', `The VM ${name} no longer exists in Tart.`, { hint: `Run \`tk spawn\` on its branch (${rec.branch}) to recreate it, or \`tk destroy ${name}\`.` });
    if (row.state !== 'running') throw new TkError('vm', `The VM ${name} is ${row.state}: cannot ${what}.`, { hint: `Start it with \`tk resume ${name}\`.` });
    return rec;
  }

  /**
   * A session to a running VM. The recorded IP is tried first: the host key recorded at first boot
   * proves it is this VM, so no `tart list` is needed; otherwise the VM's state is checked (clear
   * error when stopped) and the IP refreshed.
   */
  private async fastConnect(name: string, what: string, signal?: AbortSignal) {
    const rec0 = await this.record(name);
    if (rec0.ip && rec0.host_key && rec0.status === 'running') {
      const key = await this.d.host.ensureSshKey();
      try {
        const session = await this.d.ssh.connect({
          host: rec0.ip,
          port: this.d.config.ssh_port,
          user: this.d.config.ssh_user,
          keyPath: key.keyPath,
          readyTimeoutMs: 3000,
          ...(signal ? { signal } : {}),
          verifyHostKey: (k) => k === rec0.host_key,
        });
        return { session, rec: rec0, ip: rec0.ip };
      } catch {
        interrupted(signal);
      }
    }
    const rec = await this.requireRunning(name, what);
    const { session, ip } = await this.connect(rec, signal);
    return { session, rec, ip };
  }

  async exec(name: string, argv: string[], io: ExecIo): Promise<number> {
    if (argv.length === 0) throw new TkError('usage', 'No command given.', { hint: 'Usage: tk exec [NAME] -- CMD [ARGS...]' });
    const { session, rec } = await this.fastConnect(name, 'run a command in it', io.signal);
    try {
      const code = guestWorktree(rec.os ?? 'linux');
      const cmd = `. "$HOME/.tk/env.sh" 2>/dev/null; cd ${shq(code)} 2>/dev/null || cd "$HOME"; exec ${argv.map(shq).join(' ')}`;
      return await session.run(cmd, {
        onStdout: (c) => io.stdout(c),
        onStderr: (c) => io.stderr(c),
        ...(io.stdin ? { stdin: io.stdin } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
        ...(io.timeoutMs ? { timeoutMs: io.timeoutMs } : {}),
      });
    } finally {
      session.close();
    }
  }

  async enterCommand(name: string, opts: { agent?: boolean; term?: string } = {}): Promise<InteractiveCommand> {
    // Verify the host key once (and refresh the IP when the recorded one no longer answers).
    const { session, ip, rec } = await this.fastConnect(name, 'enter it');
    session.close();
    const { host, config } = this.d;
    const key = await host.ensureSshKey();
    host.writeKnownHosts(name, name, rec.host_key ?? session.hostKey);
    const code = guestWorktree(rec.os ?? 'linux');
    const termFix = 'if ! infocmp "$TERM" >/dev/null 2>&1; then TERM=xterm-256color; export TERM; fi';
    const inner = opts.agent ? `cd ${shq(code)} && exec claude ${config.claude_flags.map(shq).join(' ')}`.trimEnd() : '';
    const remote = opts.agent ? `${termFix}; exec bash -lc ${shq(inner)}` : `${termFix}; exec bash -l`;
    const args = [
      '-i', key.keyPath,
      '-o', 'IdentitiesOnly=yes',
      '-o', `UserKnownHostsFile=${host.knownHostsPath(name)}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `HostKeyAlias=${name}`,
      '-o', 'ControlMaster=auto',
      '-o', `ControlPath=${host.controlPath(name)}`,
      '-o', 'ControlPersist=600',
      '-o', 'LogLevel=ERROR',
      '-p', String(config.ssh_port),
      '-t',
      `${config.ssh_user}@${ip}`,
      remote,
    ];
    return { file: this.opts.sshBinary ?? 'ssh', args, env: { TERM: opts.term || 'xterm-256color' } };
  }

  async halt(name: string, opts: OpOptions = {}): Promise<void> {
    await this.record(name);
    return this.locked(name, () => this.haltLocked(name, opts));
  }

  private async haltLocked(name: string, opts: OpOptions): Promise<void> {
    const rec = await this.record(name);
    const report = this.reporter(() => name, opts);
    const row = await this.orch.tartRow(name, opts.signal);
    if (row?.state === 'running') {
      report('ready', 'Shutting the guest down...');
      try {
        const { session } = await this.connect(rec, opts.signal);
        await session.run('sudo poweroff >/dev/null 2>&1 || sudo shutdown -h now', { timeoutMs: 5000 }).catch(() => undefined);
        session.close();
      } catch (e) {
        this.orch.log(name, `halt: graceful shutdown not possible (${toTkError(e).message}); stopping with tart stop`);
      }
      const deadline = this.d.clock.now() + (this.opts.haltTimeoutMs ?? 20_000);
      while (this.d.clock.now() < deadline) {
        const r = await this.orch.tartRow(name);
        if (!r || r.state !== 'running') break;
        await this.d.clock.sleep(250, opts.signal);
      }
      const r = await this.orch.tartRow(name);
      if (r?.state === 'running') {
        report('ready', 'The guest did not power off in time: tart stop...');
        await this.d.tart.stop(name);
      }
    } else if (row?.state === 'suspended') {
      await this.d.tart.stop(name);
    }
    this.orch.mark(name, 'halt', 'end', 'ok');
    await this.orch.updateRecord(name, (r) => {
      r.status = 'stopped';
      r.ip = null;
      delete r.started_at;
    });
  }

  async suspend(name: string, opts: OpOptions = {}): Promise<void> {
    const rec = await this.record(name);
    const row = await this.orch.tartRow(name, opts.signal);
    if (!row) throw new TkError('vm', `The VM ${name} no longer exists in Tart.`, { hint: `Remove its record with \`tk destroy ${name}\`.` });
    if (row.state === 'suspended') return;
    if (row.state !== 'running') throw new TkError('vm', `The VM ${name} is ${row.state}: there is nothing to suspend.`);
    const os = rec.os ?? (await this.d.tart.get(name)).os;
    if (os !== 'darwin') {
      throw new TkError('vm', `Tart cannot suspend Linux VMs (${name} runs Linux): it would kill the VM instead.`, {
        hint: `Use \`tk halt ${name}\`: it shuts the VM down and keeps its disk; \`tk resume ${name}\` or \`tk spawn\` starts it again.`,
      });
    }
    if (!rec.suspendable) {
      throw new TkError('vm', `${name} was not started with --suspendable, so Tart would kill it instead of suspending it.`, {
        hint: `Use \`tk halt ${name}\` now; tk starts macOS guests as suspendable, so after \`tk resume ${name}\` suspend works.`,
      });
    }
    await this.d.tart.suspend(name);
    const deadline = this.d.clock.now() + 120_000;
    for (;;) {
      const r = await this.orch.tartRow(name);
      if (r?.state === 'suspended') break;
      if (!r || r.state === 'stopped') throw new TkError('vm', `Suspending ${name} failed: the VM stopped instead.`, { hint: `See \`tk logs ${name}\`; its disk is kept: \`tk resume ${name}\`.` });
      if (this.d.clock.now() > deadline) throw new TkError('vm', `Timed out waiting for ${name} to suspend.`, { hint: `See \`tk logs ${name}\`.` });
      await this.d.clock.sleep(250, opts.signal);
    }
    await this.orch.updateRecord(name, (r) => {
      r.status = 'suspended';
      r.ip = null;
      delete r.started_at;
    });
  }

  async destroyPlan(name: string): Promise<DestroyPlan> {
    const rec = findVm(await this.d.store.read(), name);
    const row = await this.orch.tartRow(name);
    if (!rec && !row) throw notFound(name);
    let worktree: string | null = rec?.worktree_path ?? null;
    let worktreeIsMain = false;
    let uncommitted = 0;
    let unpushed = 0;
    if (rec && worktree) {
      try {
        const wts = await this.d.git.listWorktrees(rec.repo_root ?? worktree);
        const entry = wts.find((w) => w.path === worktree);
        if (!entry) worktree = null;
        else {
          worktreeIsMain = entry.isMain;
          uncommitted = (await this.d.git.changes(worktree)).changed;
          unpushed = await this.d.git.unpushedCommits(worktree);
        }
      } catch {
        worktree = null;
      }
    }
    return { name, vmExists: !!row, diskSizeGb: row ? row.sizeGb : null, worktree, worktreeIsMain, uncommittedChanges: uncommitted, unpushedCommits: unpushed, branch: rec?.branch ?? null };
  }

  async destroy(name: string, opts: OpOptions & { discardChanges: boolean }): Promise<DestroyReport> {
    return this.locked(name, () => this.destroyLocked(name, opts));
  }

  private async destroyLocked(name: string, opts: OpOptions & { discardChanges: boolean }): Promise<DestroyReport> {
    const plan = await this.destroyPlan(name);
    const rec = findVm(await this.d.store.read(), name);
    const report = this.reporter(() => name, opts);
    let vmDeleted = false;
    if (plan.vmExists) {
      report('ready', 'Deleting the VM...');
      const row = await this.orch.tartRow(name);
      if (row && row.state !== 'stopped') await this.d.tart.stop(name).catch(() => undefined);
      await this.d.tart.delete(name);
      vmDeleted = true;
    }
    let worktreeRemoved = false;
    let worktreeKeptReason: string | null = null;
    if (plan.worktree && rec) {
      if (plan.worktreeIsMain) worktreeKeptReason = 'it is the main checkout';
      else if ((plan.uncommittedChanges > 0 || plan.unpushedCommits > 0) && !opts.discardChanges) {
        worktreeKeptReason = `it has ${plan.uncommittedChanges} uncommitted change(s) and ${plan.unpushedCommits} unpushed commit(s) (use --discard-changes to remove it anyway)`;
      } else {
        await this.d.git.removeWorktree(rec.repo_root ?? plan.worktree, plan.worktree, { force: opts.discardChanges || plan.uncommittedChanges > 0 });
        worktreeRemoved = true;
      }
    }
    await this.d.proxy.revoke(name).catch(() => undefined);
    const { logsRemoved } = this.d.host.removeVmFiles(name);
    const stateRemoved = await this.d.store.update((s) => removeVm(s, name));
    return { name, vmDeleted, stateRemoved, logsRemoved, worktreeRemoved, worktreeKeptReason };
  }

  /** origin's URL when it passes the pr rule, else null (never throws: spawn must not fail on it). */
  private async trustableOrigin(mainRoot: string): Promise<string | null> {
    if (!this.d.pr) return null;
    const url = await this.d.pr.originUrl(mainRoot).catch(() => null);
    if (url === null) return null;
    try {
      return trustedRemote(url, this.trustOptions()).url;
    } catch {
      return null;
    }
  }

  /**
   * tachikoma §8 `pr`, hardened: commit pending changes (hooks off), push HEAD to the URL recorded
   * at spawn (else origin's URL now, by the same rule) with an explicit refspec, then
   * `gh pr create --fill` for that GitHub repository. Never touches the VM.
   */
  async pr(name: string, opts: OpOptions = {}): Promise<PrResult> {
    const prPort = this.prPort();
    const report = this.reporter(() => name, opts);
    const rec = await this.record(name);
    const remote = await this.pushRemote(rec, prPort);
    interrupted(opts.signal);
    const wt = rec.worktree_path;
    const { diff, status } = await prPort.diffStat(wt);
    const stat = combineStat(diff, status);
    let committed = false;
    if (stat === '') {
      if ((await this.d.git.unpushedCommits(wt)) === 0) throw nothingToCommit();
    } else {
      report('git', 'Committing changes...');
      await prPort.commitAll(wt, commitMessage(rec.branch, stat));
      committed = true;
    }
    interrupted(opts.signal);
    report('git', `Pushing ${rec.branch}...`);
    await prPort.push(wt, remote, rec.branch);
    report('git', 'Creating PR...');
    const url = await prPort.createPr(wt, rec.branch, remote.ghRepo && remote.ghHost ? { host: remote.ghHost, repo: remote.ghRepo } : null);
    return { url, committed, branch: rec.branch, pushed_to: remote.url };
  }

  /** What pr would do, read with the same rules; changes nothing (no commit, no push, no gh). */
  async prPlan(name: string): Promise<PrPlan> {
    const prPort = this.prPort();
    const rec = await this.record(name);
    let pushUrl: string | null = null;
    let githubHost: string | null = null;
    let pushRefused: string | null = null;
    try {
      const remote = await this.pushRemote(rec, prPort);
      pushUrl = remote.url;
      githubHost = remote.ghHost;
    } catch (e) {
      pushRefused = toTkError(e).message;
    }
    const wt = rec.worktree_path;
    const uncommittedChanges = await this.d.git.changes(wt).then((c) => c.changed, () => null);
    const unpushedCommits = await this.d.git.unpushedCommits(wt).catch(() => null);
    return { name, branch: rec.branch, worktree: wt, pushUrl, githubHost, pushRefused, uncommittedChanges, unpushedCommits };
  }

  private prPort(): PrPort {
    if (!this.d.pr) throw new TkError('git', 'This tk build cannot open PRs (no git adapter for pr).', { hint: 'Push the branch and open a PR manually.' });
    return this.d.pr;
  }

  /** The push target: the URL recorded at spawn, else origin's URL now, by the same trust rule. */
  private async pushRemote(rec: VmRecord, prPort: PrPort): Promise<TrustedRemote> {
    const trust = this.trustOptions();
    if (rec.push_url) return trustedRemote(rec.push_url, trust);
    const mainRoot = rec.repo_root ?? (await this.d.git.repoInfo(rec.worktree_path)).mainRoot;
    const url = await prPort.originUrl(mainRoot);
    if (url === null) {
      throw new TkError('git', `The repository of ${rec.name} has no remote.origin.url to push to.`, { hint: 'Add one (git remote add origin https://github.com/OWNER/REPO) and run tk pr again.' });
    }
    return trustedRemote(url, trust);
  }

  /** The push URL rule's inputs: github.com plus the user's own `github_hosts` (repository files cannot set it). */
  private trustOptions(): TrustOptions {
    return { allowLocal: this.opts.allowLocalPush === true, githubHosts: this.d.config.github_hosts };
  }

  async branches(cwd: string): Promise<string[]> {
    const info = await this.d.git.repoInfo(cwd);
    return this.d.git.branches(info.mainRoot);
  }

  /**
   * One `tart get` (it bumps the VM's access time: the dashboard caches the answer) plus the
   * record. No `tart list` first: a VM Tart does not have is Tart's "does not exist" answer.
   */
  async details(name: string): Promise<VmDetails> {
    const rec = findVm(await this.d.store.read(), name);
    let info: TartVmInfo | null = null;
    try {
      info = await this.d.tart.get(name);
    } catch (e) {
      if (!isMissingVmError(e)) throw e;
    }
    if (!rec && !info) throw notFound(name);
    const running = info?.state === 'running';
    return {
      name,
      base_image: rec?.base_image ?? null,
      os: info?.os ?? rec?.os ?? null,
      cpu: info?.cpu ?? null,
      memory_mb: info?.memoryMb ?? null,
      started_at: running ? (rec?.started_at ?? null) : null,
    };
  }

  logPath(name: string): string {
    return this.d.host.logPath(name);
  }
}

export function createApp(deps: EngineDeps, opts: AppOptions = {}): App {
  return new App(deps, opts);
}
