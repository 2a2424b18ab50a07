// Bringing a VM up (tachikoma §4.2, fixed) and provisioning it (§5, fixed) over one SSH connection.
// Intent is recorded BEFORE every action (state entry with phase=clone before `tart clone`, phase
// per step), so a spawn interrupted anywhere (Ctrl-C, SIGTERM, SIGKILL) is finished by the next one.
import type { Config } from './config.js';
import { TkError, toTkError } from './errors.js';
import { formatPhaseMark } from './log-format.js';
import type { Phase, ProvisionRecord, ProvisionStep, SkippedStep, SpawnOutcome, TartVm, VmRecord } from './model.js';
import { PROVISION_STEPS } from './model.js';
import { findVm } from './state.js';
import { waitForBoot } from './boot.js';
import { claudeJsonFor, cleanSettings, guestWorktree, mainScript, parseProbe, probeScript, stepsToRun, type GuestOs } from './provision.js';
import type { Clock } from '../ports/clock.js';
import type { CredentialProxyControl } from '../ports/credential-proxy.js';
import type { GitPort, PrPort } from '../ports/git.js';
import type { HostFiles } from '../ports/host.js';
import type { SshPort, SshSession } from '../ports/ssh.js';
import type { StateStore } from '../ports/state-store.js';
import type { TartPort } from '../ports/tart.js';

export interface EngineDeps {
  config: Config;
  tart: TartPort;
  ssh: SshPort;
  git: GitPort;
  store: StateStore;
  host: HostFiles;
  clock: Clock;
  proxy: CredentialProxyControl;
  /** Commit/push/gh for `tk pr` (the hardened git adapter); without it, `pr` says so. */
  pr?: PrPort;
  /** The host's TERM (enter passes it through; the probe checks the guest has its terminfo). */
  term?: string;
}

/** First-boot password of Cirrus Labs images (and tart-sim guests). Used only to install tk's key. */
export const DEFAULT_PASSWORD = 'admin';

export interface Reporter {
  (phase: Phase, message: string): void;
}

export interface BringUpResult {
  kind: SpawnOutcome;
  ip: string;
  /** Steps run and completed. */
  provisioned: ProvisionStep[];
  /** Steps not needed (the guest script skipped them), with tk's reason. */
  skipped: SkippedStep[];
  /** SSH exec round trips used by provisioning (for the measurements). */
  roundTrips: number;
}

function iso(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}

export class Orchestrator {
  constructor(readonly d: EngineDeps) {}

  // ---- log and state helpers ----------------------------------------------------------------

  log(vm: string, text: string): void {
    this.d.host.appendLog(vm, text);
  }

  mark(vm: string, phase: string, event: 'start' | 'end', result: 'ok' | 'failed' | 'skipped' | null = null, ms: number | null = null, msg: string | null = null): void {
    this.log(vm, formatPhaseMark({ phase, event, result, at: iso(this.d.clock), ms, msg }));
  }

  /** Runs fn between phase markers. */
  async phase<T>(vm: string, phase: Phase, report: Reporter, message: string, fn: () => Promise<T>): Promise<T> {
    const t0 = this.d.clock.now();
    report(phase, message);
    this.mark(vm, phase, 'start', null, null, message);
    try {
      const r = await fn();
      this.mark(vm, phase, 'end', 'ok', this.d.clock.now() - t0);
      return r;
    } catch (e) {
      this.mark(vm, phase, 'end', 'failed', this.d.clock.now() - t0, toTkError(e).message);
      throw e;
    }
  }

  async updateRecord(name: string, fn: (r: VmRecord) => void): Promise<VmRecord> {
    return this.d.store.update((state) => {
      const r = findVm(state, name);
      if (!r) throw new TkError('state', `The VM ${name} is no longer in tk's state (destroyed meanwhile?).`, { hint: 'Run `tk spawn` again.' });
      fn(r);
      return structuredClone(r);
    });
  }

  async setProvision(name: string, patch: Partial<ProvisionRecord>): Promise<VmRecord> {
    return this.updateRecord(name, (r) => {
      r.provision = { done: [], ...(r.provision ?? {}), ...patch, updated_at: iso(this.d.clock) };
    });
  }

  async tartRow(name: string, signal?: AbortSignal): Promise<TartVm | undefined> {
    return (await this.d.tart.list(signal)).find((v) => v.name === name && v.source === 'local');
  }

  // ---- bring up -----------------------------------------------------------------------------

  /**
   * The state machine: running -> reconnect; suspended -> resume; stopped -> start; absent ->
   * clone + set + run. Never clones over an existing VM. Then provisions what is left.
   */
  async bringUp(rec0: VmRecord, report: Reporter, signal?: AbortSignal): Promise<BringUpResult> {
    const { tart, config } = this.d;
    const name = rec0.name;
    let rec = rec0;
    const row = await this.tartRow(name, signal);
    let kind: SpawnOutcome;
    if (!row) {
      kind = 'created';
      if ((rec.provision?.done.length ?? 0) > 0 || rec.host_key) {
        // The VM is gone (deleted out of band): a new one gets a fresh record of its provisioning.
        this.d.host.writeKnownHosts(name, name, null);
      }
      rec = await this.updateRecord(name, (r) => {
        r.provision = { done: [], phase: 'clone', result: 'running', updated_at: iso(this.d.clock) };
        delete r.host_key;
        delete r.os;
        r.status = 'stopped';
        r.ip = null;
      });
      await this.phase(name, 'clone', report, `Cloning ${config.base_image}...`, () => tart.clone(config.base_image, name, signal));
      rec = await this.setProvision(name, { phase: 'configure' });
    } else if (row.state === 'running') {
      kind = 'reconnected';
    } else if (row.state === 'suspended') {
      kind = 'resumed';
    } else {
      kind = 'started';
    }
    if (rec.provision?.phase === 'configure' || rec.provision?.phase === 'clone') {
      rec = await this.configure(rec, report);
    }
    if (kind !== 'reconnected') rec = await this.start(rec, report);
    let booted;
    const deadline = this.d.clock.now() + config.boot_timeout_secs * 1000;
    try {
      booted = await this.phase(name, 'ssh', report, 'Waiting for the VM to boot...', async () => {
        const key = await this.d.host.ensureSshKey();
        return waitForBoot({
          vm: name,
          tart,
          ssh: this.d.ssh,
          clock: this.d.clock,
          deadline,
          expectedHostKey: rec.host_key ?? null,
          justStarted: kind !== 'reconnected',
          logPath: this.d.host.logPath(name),
          logTail: () => this.d.host.logTail(name, 3),
          ...(signal ? { signal } : {}),
          onPhase: (p, m) => report(p, m),
          log: (l) => this.log(name, l),
          target: (ip) => ({
            host: ip,
            port: config.ssh_port,
            user: config.ssh_user,
            keyPath: key.keyPath,
            ...(rec.provision?.done.includes('ssh-key') ? {} : { password: DEFAULT_PASSWORD }),
          }),
        });
      });
    } catch (e) {
      const err = toTkError(e);
      if (err.code !== 'interrupted' && kind !== 'reconnected') {
        // A ghost VM must not keep running: stop it, keep the record (phase failed), the next spawn finishes it.
        await tart.stop(name).catch(() => undefined);
        await this.updateRecord(name, (r) => {
          r.status = 'stopped';
          r.ip = null;
          r.provision = { done: r.provision?.done ?? [], phase: 'failed', result: 'failed', error: err.message, updated_at: iso(this.d.clock) };
        }).catch(() => undefined);
      }
      throw e;
    }
    const { ip, session } = booted;
    try {
      rec = await this.updateRecord(name, (r) => {
        r.ip = ip;
        r.status = 'running';
        r.last_used = iso(this.d.clock);
        r.host_key ??= session.hostKey;
      });
      this.d.host.writeKnownHosts(name, name, session.hostKey);
      const steps = stepsToRun(rec.provision?.done ?? [], kind !== 'reconnected');
      if (config.credential_proxy && !steps.includes('profile')) {
        // The guest's env points at the proxy: make sure it runs on every outcome (tachikoma does
        // too). Its token for this VM is reused, so the provisioned profile stays valid.
        await this.phase(name, 'profile', report, 'Ensuring the credential proxy is running...', async () => {
          await this.d.proxy.guestCredentials(name);
        });
      }
      let provisioned: ProvisionStep[] = [];
      let skipped: SkippedStep[] = [];
      let roundTrips = 0;
      if (steps.length > 0) ({ provisioned, skipped, roundTrips } = await this.provision(rec, session, steps, report, signal));
      else await this.setProvision(name, { phase: 'ready', result: 'ok' });
      return { kind, ip, provisioned, skipped, roundTrips };
    } finally {
      session.close();
    }
  }

  async configure(rec: VmRecord, report: Reporter): Promise<VmRecord> {
    const { tart, config } = this.d;
    const name = rec.name;
    await this.phase(name, 'configure', report, `Setting ${config.vm_cpus} CPUs, ${config.vm_memory} MB, a random MAC...`, async () => {
      await tart.set(name, { cpu: config.vm_cpus, memoryMb: config.vm_memory, randomMac: true, ...(config.vm_display !== 'none' ? { display: config.vm_display } : {}) });
    });
    const info = await tart.get(name);
    return this.updateRecord(name, (r) => {
      r.os = info.os;
      r.provision = { done: r.provision?.done ?? [], phase: 'boot', result: 'running', updated_at: iso(this.d.clock) };
    });
  }

  /** Starts a detached `tart run` with tk's shares. */
  async start(rec: VmRecord, report: Reporter): Promise<VmRecord> {
    const { tart, config, host } = this.d;
    const name = rec.name;
    const os = rec.os ?? (await tart.get(name)).os;
    const statusDir = host.ensureStatusDir(name);
    const dirs = [`code:${rec.worktree_path}`];
    const gitDir = host.gitDir(rec.repo_root ?? rec.worktree_path);
    if (gitDir) dirs.push(`dotgit:${gitDir}`);
    for (const d of host.existingClaudeDirs(config.share_claude_dirs)) dirs.push(`claude-${d.name}:${d.path}:ro`);
    dirs.push(`tk-status:${statusDir}`);
    await this.phase(name, 'boot', report, 'Starting the VM...', () =>
      tart.run(name, { dirs, noGraphics: config.vm_display === 'none', suspendable: os === 'darwin', logFile: host.logPath(name) }),
    );
    return this.updateRecord(name, (r) => {
      r.os = os;
      r.status = 'running';
      r.ip = null;
      r.suspendable = os === 'darwin';
      r.started_at = iso(this.d.clock);
      r.provision = { done: r.provision?.done ?? [], phase: 'ip', result: 'running', updated_at: iso(this.d.clock) };
    });
  }

  // ---- provisioning -------------------------------------------------------------------------

  async provision(
    rec: VmRecord,
    session: SshSession,
    steps: readonly ProvisionStep[],
    report: Reporter,
    signal?: AbortSignal,
  ): Promise<{ provisioned: ProvisionStep[]; skipped: SkippedStep[]; roundTrips: number }> {
    const { config, host } = this.d;
    const name = rec.name;
    const provisioned: ProvisionStep[] = [];
    const skipped: SkippedStep[] = [];
    // Filled once the main script is planned: why tk skips a step (the guest's marker text is not shown).
    let skipReasons: Partial<Record<ProvisionStep, string>> = {};
    let roundTrips = 0;
    // A skipped step is recorded as done too (it is not retried on every start), but reported apart.
    const markDone = async (step: ProvisionStep, result: 'ok' | 'skipped' = 'ok') => {
      if (steps.includes(step)) {
        if (result === 'skipped') skipped.push({ step, reason: skipReasons[step] ?? 'the guest reported it as skipped' });
        else provisioned.push(step);
      }
      await this.updateRecord(name, (r) => {
        const done = new Set(r.provision?.done ?? []);
        done.add(step);
        r.provision = { done: PROVISION_STEPS.filter((s) => done.has(s)), phase: step, result: 'running', updated_at: iso(this.d.clock) };
      });
    };
    const fail = async (_step: string, message: string): Promise<never> => {
      await this.setProvision(name, { phase: 'failed', result: 'failed', error: message });
      throw new TkError('provision', message, { hint: `See the log: ${host.logPath(name)}\nFix the cause, then run \`tk provision ${name}\` (or \`tk spawn\` again).` });
    };
    // Round trip 1: install tk's key (idempotent) and learn the guest's facts.
    const key = await host.ensureSshKey();
    const t0 = this.d.clock.now();
    report('ssh-key', 'Installing tk\'s SSH key...');
    this.mark(name, 'ssh-key', 'start');
    let probeOut = '';
    const probeDec = new TextDecoder();
    const rc1 = await session.run('bash -s', {
      stdin: probeScript(key.publicKey, this.d.term ?? 'xterm-256color'),
      onStdout: (c) => (probeOut += probeDec.decode(c, { stream: true })),
      onStderr: (c) => this.log(name, new TextDecoder().decode(c).trimEnd()),
      ...(signal ? { signal } : {}),
      timeoutMs: 60_000,
    });
    roundTrips++;
    if (rc1 !== 0) {
      this.mark(name, 'ssh-key', 'end', 'failed', this.d.clock.now() - t0, `exit ${rc1}`);
      return fail('ssh-key', `Could not install tk's SSH key in ${name} (exit ${rc1}).`);
    }
    this.mark(name, 'ssh-key', 'end', 'ok', this.d.clock.now() - t0);
    await markDone('ssh-key');
    const facts = parseProbe(probeOut);
    // Tart's own record of the guest OS (tart get) wins; uname is the fallback for VMs tk did not configure.
    const os: GuestOs = rec.os ?? facts.os;
    if (rec.os !== os) await this.updateRecord(name, (r) => (r.os = os));
    const rest = steps.filter((s) => s !== 'ssh-key');
    if (rest.length === 0) {
      await this.setProvision(name, { phase: 'ready', result: 'ok' });
      return { provisioned, skipped, roundTrips };
    }
    // Host-side inputs (credentials only when the profile is written).
    let env: Record<string, string> = {};
    let files: Array<{ path: string; content: string }> = [];
    if (rest.includes('profile')) {
      const creds = await this.d.proxy.guestCredentials(name);
      this.log(name, `credentials: ${creds.source}`);
      env = { ...creds.env };
      files = creds.files;
    }
    const cleaned = cleanSettings(rest.includes('agent-config') ? host.readClaudeSettings() : null, {
      syncMcp: config.sync_mcp_servers,
      proxyMode: config.credential_proxy,
      hookCommand: '"$HOME/.tk/agent-state"',
    });
    cleaned.warnings.forEach((w) => this.log(name, `warning: ${w}`));
    if (rest.includes('profile')) env = { ...env, ...cleaned.mcpEnv };
    let scripts: Array<{ path: string; content: string }> = [];
    if (rest.includes('scripts')) {
      const r = host.readScripts(config.provision_scripts);
      r.missing.forEach((m) => this.log(name, `warning: provisioning script not found: ${m}`));
      scripts = r.scripts;
    }
    const main = mainScript({
      vm: name,
      branch: rec.branch,
      os,
      steps: rest,
      claudeDirs: host.existingClaudeDirs(config.share_claude_dirs).map((d) => d.name),
      env,
      files,
      agentInstallCommand: config.agent_install_command,
      claudeJson: claudeJsonFor(facts.claudeJson, guestWorktree(os), env),
      settingsJson: JSON.stringify(cleaned.settings, null, 2) + '\n',
      scripts,
    });
    main.notes.forEach((n) => this.log(name, `note: ${n}`));
    skipReasons = main.skips;
    // Round trip 2: every remaining step; markers arrive on stdout as each step ends.
    const started = new Map<string, number>();
    let failed: string | null = null;
    let pending = Promise.resolve();
    let buf = '';
    const onLine = (line: string) => {
      const m = /^@@tk phase=(\S+) event=(start|end)(?: result=(ok|failed|skipped))?(?: msg=(.*))?$/.exec(line);
      if (!m || !(PROVISION_STEPS as readonly string[]).includes(m[1] as string)) {
        if (line !== '') this.log(name, line);
        return;
      }
      const step = m[1] as ProvisionStep;
      if (m[2] === 'start') {
        started.set(step, this.d.clock.now());
        report(step, `Provisioning: ${step}...`);
        this.mark(name, step, 'start');
        return;
      }
      const ms = this.d.clock.now() - (started.get(step) ?? this.d.clock.now());
      const result = (m[3] ?? 'ok') as 'ok' | 'failed' | 'skipped';
      this.mark(name, step, 'end', result, ms, m[4] ?? null);
      if (result === 'failed') failed = step;
      else pending = pending.then(() => markDone(step, result));
    };
    let errBuf = '';
    const outDec = new TextDecoder();
    const errDec = new TextDecoder();
    const rc2 = await session.run('bash -s', {
      stdin: main.script,
      onStdout: (c) => {
        buf += outDec.decode(c, { stream: true });
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      },
      onStderr: (c) => {
        errBuf += errDec.decode(c, { stream: true });
        let i;
        while ((i = errBuf.indexOf('\n')) >= 0) {
          this.log(name, errBuf.slice(0, i));
          errBuf = errBuf.slice(i + 1);
        }
      },
      ...(signal ? { signal } : {}),
    });
    roundTrips++;
    if (buf) onLine(buf);
    if (errBuf) this.log(name, errBuf);
    await pending;
    if (signal?.aborted) throw new TkError('interrupted', 'Interrupted while provisioning.', { hint: 'Run `tk spawn` again: provisioning resumes at the step it stopped.' });
    if (rc2 !== 0 || failed) {
      return fail(failed ?? 'provision', `Provisioning ${name} failed${failed ? ` at step ${failed}` : ''} (exit ${rc2}).`);
    }
    await this.setProvision(name, { phase: 'ready', result: 'ok', error: undefined });
    const skippedNote = skipped.length > 0 ? `, skipped ${skipped.map((s) => s.step).join(',')}` : '';
    this.mark(name, 'ready', 'end', 'ok', null, `provisioned ${provisioned.join(',')}${skippedNote} in ${roundTrips} SSH round trips`);
    return { provisioned, skipped, roundTrips };
  }
}
