// Behaving fakes for the engine: a Tart with Tart's transitions (and stale leases), an SSH that
// runs the probe/main scripts' framing like a guest would, an in-memory state store and host files.
import { TartError, TkError } from '../../src/core/errors.js';
import type { TartVm, TartVmInfo } from '../../src/core/model.js';
import { DEFAULTS, type Config } from '../../src/core/config.js';
import { emptyState, type TkState } from '../../src/core/state.js';
import type { Clock } from '../../src/ports/clock.js';
import type { CredentialProxyControl } from '../../src/ports/credential-proxy.js';
import type { GitPort } from '../../src/ports/git.js';
import type { HostFiles } from '../../src/ports/host.js';
import type { SshPort, SshRunOptions, SshSession, SshTarget } from '../../src/ports/ssh.js';
import type { StateStore } from '../../src/ports/state-store.js';
import type { TartPort, TartRunOptions } from '../../src/ports/tart.js';
import { createApp, type App } from '../../src/core/app.js';

export const SECRET = 'sk-SECRET-TOKEN-1234567890';

export class FakeClock implements Clock {
  t = 1_700_000_000_000;
  now() {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal) {
    if (signal?.aborted) throw signal.reason;
    this.t += ms;
  }
}

interface FakeVm {
  name: string;
  state: 'running' | 'suspended' | 'stopped';
  os: 'linux' | 'darwin';
  mac: number;
  hostKey: string;
  /** ip() calls left before the lease appears after a start. */
  ipDelay: number;
  booted: boolean;
  runOpts?: TartRunOptions;
}

export class FakeTart implements TartPort {
  vms = new Map<string, FakeVm>();
  calls: string[][] = [];
  /** VMs that never get an IP. */
  noIp = new Set<string>();
  /** IP -> VM name that answers there now (stale lease games). */
  staleIp: { vm: string; answersAs: string; times: number } | null = null;
  failNext: Record<string, Error> = {};
  macs = 1;
  /** list() calls after a run during which the VM still lists as stopped (`tart run` not yet holding its lock). */
  runLag = 0;
  /** VMs whose `tart run` dies at once (after runLag). */
  runDies = new Set<string>();
  private lagging = new Map<string, number>();
  image = { os: 'linux' as 'linux' | 'darwin' };
  /** list() calls after `run` that still show the VM stopped (a run process not yet holding its lock). */
  lockDelay = 0;
  private pendingLock = new Map<string, number>();

  constructor(readonly clock: FakeClock) {}

  private maybeFail(op: string) {
    const e = this.failNext[op];
    if (e) {
      delete this.failNext[op];
      throw e;
    }
  }
  ipOf(vm: FakeVm) {
    return `127.64.0.${vm.mac}`;
  }
  async list(): Promise<TartVm[]> {
    this.calls.push(['list']);
    const shown = (v: FakeVm): FakeVm['state'] => {
      const lag = this.lagging.get(v.name) ?? 0;
      if (lag <= 0) return this.seenState(v);
      this.lagging.set(v.name, lag - 1);
      if (lag === 1 && this.runDies.has(v.name)) v.state = 'stopped';
      return 'stopped';
    };
    return [...this.vms.values()].map((v) => {
      const state = shown(v);
      return { name: v.name, source: 'local', state, running: state === 'running', diskGb: 20, sizeGb: 3 };
    });
  }
  private seenState(v: FakeVm): FakeVm['state'] {
    const left = this.pendingLock.get(v.name) ?? 0;
    if (left > 0 && v.state === 'running') {
      this.pendingLock.set(v.name, left - 1);
      return 'stopped';
    }
    return v.state;
  }
  async get(name: string): Promise<TartVmInfo> {
    this.calls.push(['get', name]);
    const v = this.vms.get(name);
    // As the tart adapter reports Tart's answer (exit 2).
    if (!v) throw new TartError(`tart get ${name} failed: the specified VM "${name}" does not exist`, { argv: ['get', name, '--format', 'json'], exitCode: 2, stderr: `the specified VM "${name}" does not exist\n` });
    return { os: v.os, cpu: 4, memoryMb: 4096, diskGb: 20, sizeGb: 3, display: '1024x768', state: v.state };
  }
  async clone(source: string, name: string) {
    this.calls.push(['clone', source, name]);
    this.maybeFail('clone');
    if (this.vms.has(name)) throw new Error(`test: clone over the existing VM ${name}`);
    this.vms.set(name, { name, state: 'stopped', os: this.image.os, mac: 0, hostKey: `ssh-ed25519 KEY-${name}`, ipDelay: 1, booted: false });
  }
  async set(name: string, o: { cpu?: number; memoryMb?: number; randomMac?: boolean }) {
    this.calls.push(['set', name, JSON.stringify(o)]);
    this.maybeFail('set');
    const v = this.vms.get(name);
    if (!v) throw new Error('no vm');
    if (o.randomMac) v.mac = ++this.macs;
  }
  async run(name: string, o: TartRunOptions) {
    this.calls.push(['run', name, ...o.dirs, o.suspendable ? '--suspendable' : '']);
    const v = this.vms.get(name);
    if (!v) throw new Error('no vm');
    if (v.state === 'running') throw new TkError('tart', `VM "${name}" is already running!`);
    if (o.suspendable && v.os !== 'darwin') throw new TkError('tart', 'You can only suspend macOS VMs');
    v.state = 'running';
    this.pendingLock.set(name, this.lockDelay);
    v.booted = true;
    v.ipDelay = 1;
    v.runOpts = o;
    if (this.runLag > 0 || this.runDies.has(name)) this.lagging.set(name, Math.max(1, this.runLag));
  }
  async ip(name: string): Promise<string | null> {
    this.calls.push(['ip', name]);
    const v = this.vms.get(name);
    if (!v) return null;
    this.clock.t += 1000;
    if (this.noIp.has(name)) return null;
    if (this.staleIp && this.staleIp.vm === name && this.staleIp.times > 0) {
      this.staleIp.times--;
      const other = this.vms.get(this.staleIp.answersAs);
      if (other) return this.ipOf(other);
    }
    if (v.ipDelay > 0) {
      v.ipDelay--;
      return null;
    }
    return this.ipOf(v);
  }
  async stop(name: string) {
    this.calls.push(['stop', name]);
    const v = this.vms.get(name);
    if (v) v.state = 'stopped';
  }
  async suspend(name: string) {
    this.calls.push(['suspend', name]);
    const v = this.vms.get(name);
    if (v) v.state = v.runOpts?.suspendable ? 'suspended' : 'stopped';
  }
  async delete(name: string) {
    this.calls.push(['delete', name]);
    this.vms.delete(name);
  }
}

export interface SshRecord {
  host: string;
  auth: 'key' | 'password';
  commands: string[];
  stdins: string[];
}

export class FakeSsh implements SshPort {
  sessions: SshRecord[] = [];
  keyInstalled = new Set<string>();
  failStep: string | null = null;
  constructor(readonly tart: FakeTart) {}

  async connect(t: SshTarget): Promise<SshSession> {
    const vm = [...this.tart.vms.values()].find((v) => this.tart.ipOf(v) === t.host && v.state === 'running');
    if (!vm) throw new Error(`connect ECONNREFUSED ${t.host}:22`);
    if (t.verifyHostKey && !t.verifyHostKey(vm.hostKey)) throw new Error('Host key verification failed');
    let auth: 'key' | 'password';
    if (this.keyInstalled.has(vm.name)) auth = 'key';
    else if (t.password === 'admin') auth = 'password';
    else throw new Error('All configured authentication methods failed');
    const rec: SshRecord = { host: t.host, auth, commands: [], stdins: [] };
    this.sessions.push(rec);
    return {
      hostKey: vm.hostKey,
      auth,
      run: async (command: string, o: SshRunOptions = {}) => {
        rec.commands.push(command);
        const stdin = typeof o.stdin === 'string' ? o.stdin : '';
        rec.stdins.push(stdin);
        const out = (s: string) => o.onStdout?.(new TextEncoder().encode(s));
        if (stdin.includes('authorized_keys')) {
          this.keyInstalled.add(vm.name);
          out(`@@fact os=${vm.os === 'darwin' ? 'Darwin' : 'Linux'}\n@@fact home=/home/admin\n@@fact term=1\n`);
          return 0;
        }
        if (stdin.includes('tk_step')) {
          for (const line of stdin.split('\n')) {
            const m = /^tk_(step|skip) (\S+)/.exec(line);
            if (!m) continue;
            const step = m[2] as string;
            out(`@@tk phase=${step} event=start\n`);
            o.onStderr?.(new TextEncoder().encode(`output of ${step}\n`));
            if (m[1] === 'skip') out(`@@tk phase=${step} event=end result=skipped msg=skipped\n`);
            else if (this.failStep === step) {
              out(`@@tk phase=${step} event=end result=failed msg=exit 1\n`);
              return 1;
            } else out(`@@tk phase=${step} event=end result=ok\n`);
          }
          return 0;
        }
        if (command.includes('poweroff')) {
          vm.state = 'stopped';
          return 255;
        }
        out(`ran: ${command}\n`);
        return 0;
      },
      close: () => undefined,
    };
  }
}

export class MemStore implements StateStore {
  state: TkState = emptyState();
  notices: string[] = [];
  async read() {
    return structuredClone(this.state);
  }
  async update<T>(fn: (s: TkState) => T | Promise<T>): Promise<T> {
    const copy = structuredClone(this.state);
    const r = await fn(copy);
    this.state = copy;
    return r;
  }
}

export function fakeGit(): GitPort & { removed: string[] } {
  const removed: string[] = [];
  return {
    removed,
    async repoInfo() {
      return { mainRoot: '/repos/app', worktreeRoot: '/repos/app', repoName: 'app', branch: 'main' };
    },
    async currentBranch() {
      return 'main';
    },
    async listWorktrees() {
      return [
        { path: '/repos/app', branch: 'main', isMain: true },
        { path: '/repos/app-feat', branch: 'feat', isMain: false },
      ];
    },
    async ensureWorktree(o) {
      return { path: o.branch === 'main' ? '/repos/app' : `/repos/app-${o.branch.replace(/\W/g, '-')}`, created: true, branchCreated: false };
    },
    async removeWorktree(_m, p) {
      removed.push(p);
    },
    async changes() {
      return { changed: 0, ahead: 0, behind: 0 };
    },
    async unpushedCommits() {
      return 0;
    },
    async branches() {
      return ['main'];
    },
  };
}

export class MemHost implements HostFiles {
  logs = new Map<string, string>();
  known = new Map<string, string | null>();
  appendLog(vm: string, text: string) {
    this.logs.set(vm, (this.logs.get(vm) ?? '') + text + '\n');
  }
  logPath(vm: string) {
    return `/tkhome/logs/${vm}.log`;
  }
  logTail(vm: string, n: number) {
    return (this.logs.get(vm) ?? '').split('\n').filter((l) => l && !l.startsWith('@@tk ')).slice(-n);
  }
  ensureStatusDir(vm: string) {
    return `/tkhome/vms/${vm}/status`;
  }
  async ensureSshKey() {
    return { keyPath: '/tkhome/ssh/id_ed25519', publicKey: 'ssh-ed25519 AAAATK tk' };
  }
  knownHostsPath(vm: string) {
    return `/tkhome/vms/${vm}/known_hosts`;
  }
  writeKnownHosts(vm: string, _p: string, key: string | null) {
    this.known.set(vm, key);
  }
  controlPath() {
    return '/tkhome/ssh/cm/%C';
  }
  existingClaudeDirs() {
    return [{ name: 'skills', path: '/home/u/.claude/skills' }];
  }
  readClaudeSettings() {
    return JSON.stringify({ theme: 'dark', hooks: { Stop: [] }, statusLine: { x: 1 }, permissions: { deny: ['Read(~/Library/Keychains)', 'Bash(rm)'] } });
  }
  readScripts() {
    return { scripts: [], missing: [] };
  }
  gitDir() {
    return '/repos/app/.git';
  }
  locks = new Map<string, Promise<void>>();
  async lockVm(vm: string) {
    const prev = this.locks.get(vm) ?? Promise.resolve();
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    this.locks.set(vm, prev.then(() => next));
    await prev;
    return release;
  }
  removeVmFiles() {
    return { logsRemoved: true };
  }
}

export function fakeProxy(): CredentialProxyControl & { revoked: string[]; issued: string[] } {
  const revoked: string[] = [];
  const issued: string[] = [];
  return {
    revoked,
    issued,
    async guestCredentials(vm: string) {
      issued.push(vm);
      return { env: { ANTHROPIC_AUTH_TOKEN: SECRET, ANTHROPIC_BASE_URL: 'http://127.0.0.1:19280' }, files: [], source: 'test proxy' };
    },
    async revoke(vm: string) {
      revoked.push(vm);
    },
  };
}

export interface World {
  app: App;
  tart: FakeTart;
  ssh: FakeSsh;
  store: MemStore;
  host: MemHost;
  clock: FakeClock;
  git: ReturnType<typeof fakeGit>;
  proxy: ReturnType<typeof fakeProxy>;
  config: Config;
}

export function world(over: Partial<Config> = {}): World {
  const clock = new FakeClock();
  const tart = new FakeTart(clock);
  const ssh = new FakeSsh(tart);
  const store = new MemStore();
  const host = new MemHost();
  const git = fakeGit();
  const proxy = fakeProxy();
  const config: Config = { ...DEFAULTS, agent_install_command: '', boot_timeout_secs: 30, ...over };
  const app = createApp({ config, tart, ssh, git, store, host, clock, proxy }, { haltTimeoutMs: 2000 });
  return { app, tart, ssh, store, host, clock, git, proxy, config };
}
