// The whole lifecycle against tart-sim: spawn, exec, shared worktree both ways, git in the guest,
// list, halt, spawn again, destroy; a malicious branch name; 10 parallel spawns; SIGKILLed spawns.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { branchSlug } from '../../src/core/naming.js';
import { git } from '../helpers/git-repo.js';
import { spawnPty } from '../helpers/pty.js';
import { TK, e2eWorld, ensureBuilt, type E2eWorld } from './engine-helpers.js';

beforeAll(() => ensureBuilt(), 120_000);

describe('tk against tart-sim', () => {
  let w: E2eWorld;
  beforeAll(() => {
    w = e2eWorld();
  });
  afterAll(async () => {
    await w.cleanup();
  }, 60_000);

  it('spawn, exec, shared worktree, git, list, halt, spawn again, destroy', async () => {
    const s = await w.tk(['spawn', 'feat/x', '--no-interactive', '--json']);
    expect(s.stderr).not.toMatch(/^error/m);
    expect(s.code).toBe(0);
    const doc = JSON.parse(s.stdout) as { data: { kind: string; name: string; worktree: string } };
    expect(doc.data.kind).toBe('created');
    const { name, worktree } = doc.data;
    expect(name).toBe('tachikoma-myrepo-feat-x');

    const h = await w.tk(['exec', name, '--', 'hostname']);
    expect(h).toMatchObject({ code: 0, stdout: 'feat-x\n' });

    // Profile scripts ran with the profile env in the worktree; Claude dirs are shared read-only;
    // the agent-state hook writes the host's status file through the tk-status share.
    expect((await w.tk(['exec', name, '--', 'cat', '/home/admin/profile-ran'])).stdout).toBe('TACHIKOMA=1 pwd=/mnt/tachikoma/code\n');
    expect((await w.tk(['exec', name, '--', 'cat', '/home/admin/.claude/skills/hello.md'])).stdout).toBe('skill\n');
    expect((await w.tk(['exec', name, '--', 'sh', '-c', 'echo x > ~/.claude/skills/new.md'])).code).not.toBe(0);
    expect((await w.tk(['exec', name, '--', 'sh', '-c', '"$HOME/.tk/agent-state" waiting'])).code).toBe(0);
    const agent = JSON.parse(readFileSync(join(w.env['TK_HOME'] as string, 'vms', name, 'status', 'agent.json'), 'utf8')) as { state: string; at: string };
    expect(agent.state).toBe('waiting');
    const settings = JSON.parse((await w.tk(['exec', name, '--', 'cat', '/home/admin/.claude/settings.json'])).stdout) as { hooks: Record<string, unknown> };
    expect(Object.keys(settings.hooks).sort()).toEqual(['Notification', 'PreToolUse', 'Stop', 'UserPromptSubmit']);
    const cj = JSON.parse((await w.tk(['exec', name, '--', 'cat', '/home/admin/.claude.json'])).stdout) as { hasCompletedOnboarding: boolean; projects: Record<string, { hasTrustDialogAccepted: boolean }> };
    expect(cj.hasCompletedOnboarding).toBe(true);
    expect(cj.projects['/mnt/tachikoma/code']?.hasTrustDialogAccepted).toBe(true);
    const envOut = (await w.tk(['exec', name, '--', 'sh', '-c', 'echo "$ANTHROPIC_BASE_URL|$CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"'])).stdout;
    expect(envOut).toMatch(/^http:\/\/127\.0\.0\.1:\d+\|1\n$/);
    expect(readFileSync(join(w.env['TK_HOME'] as string, 'logs', `${name}.log`), 'utf8')).not.toMatch(/ANTHROPIC_AUTH_TOKEN=|tk:[A-Za-z0-9_-]{20,}@/);

    expect((await w.tk(['exec', name, '--', 'tr', 'a-z', 'A-Z'], { input: 'piped in\n' })).stdout).toBe('PIPED IN\n');
    const rc = await w.tk(['exec', name, '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(rc).toMatchObject({ code: 7, stdout: 'out\n', stderr: 'err\n' });

    const q = await w.tk(['exec', name, '--', 'printf', '%s|', 'a b', "it's", '$HOME', '`id`']);
    expect(q.stdout).toBe("a b|it's|$HOME|`id`|");

    await w.tk(['exec', name, '--', 'sh', '-c', 'echo from-guest > guest.txt']);
    expect(readFileSync(join(worktree, 'guest.txt'), 'utf8')).toBe('from-guest\n');
    writeFileSync(join(worktree, 'host.txt'), 'from-host\n');
    expect((await w.tk(['exec', name, '--', 'cat', 'host.txt'])).stdout).toBe('from-host\n');

    const g = await w.tk(['exec', name, '--', 'sh', '-c', 'git add guest.txt && git commit -qm "from guest" && git rev-parse --abbrev-ref HEAD']);
    expect(g).toMatchObject({ code: 0, stdout: 'feat/x\n' });
    expect(git(worktree, 'log', '-1', '--format=%s')).toBe('from guest\n');
    expect(git(w.root, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main\n');

    const l = await w.tk(['list', '--json']);
    const views = JSON.parse(l.stdout) as Array<{ name: string; status: string; branch: string; worktree: string }>;
    expect(views.find((v) => v.name === name)).toMatchObject({ status: 'running', branch: 'feat/x', worktree });

    expect((await w.tk(['suspend', name])).stderr).toContain('Tart cannot suspend Linux VMs');

    const halt = await w.tk(['halt', name]);
    expect(halt.code).toBe(0);
    expect(w.tart(['list', '--format', 'json'])).toMatch(/"State" : "stopped"/);
    expect((await w.tk(['exec', name, '--', 'true'])).stderr).toContain(`tk resume ${name}`);

    const again = await w.tk(['spawn', 'feat/x', '--no-interactive', '--json']);
    expect(JSON.parse(again.stdout).data.kind).toBe('started');
    const m = await w.tk(['exec', name, '--', 'sh', '-c', 'mountpoint -q /mnt/tachikoma && cat host.txt && hostname']);
    expect(m).toMatchObject({ code: 0, stdout: 'from-host\nfeat-x\n' });

    expect((await w.tk(['destroy', name])).code).toBe(2);
    const d = await w.tk(['destroy', name, '--force', '--json']);
    expect(d.code).toBe(0);
    const rep = JSON.parse(d.stdout).data as { vmDeleted: boolean; worktreeRemoved: boolean; worktreeKeptReason: string };
    expect(rep.vmDeleted).toBe(true);
    expect(rep.worktreeRemoved).toBe(false);
    expect(rep.worktreeKeptReason).toContain('uncommitted');
    expect(JSON.parse((await w.tk(['list', '--json'])).stdout)).toEqual([]);
    expect(existsSync(worktree)).toBe(true);
  }, 120_000);

  it('a malicious branch name never reaches a shell', async () => {
    const pwn = join(w.parent, 'pwned');
    const branch = `x;$(touch${'${IFS}'}${pwn})&'"\`id\`|<ü>`;
    git(w.root, 'branch', branch);
    const s = await w.tk(['spawn', branch, '--no-interactive', '--json']);
    expect(s.code).toBe(0);
    const { name } = JSON.parse(s.stdout).data as { name: string };
    const h = await w.tk(['exec', name, '--', 'sh', '-c', 'hostname; git rev-parse --abbrev-ref HEAD']);
    expect(h.stdout).toBe(`${branchSlug(branch)}\n${branch}\n`);
    expect(branchSlug(branch)).toMatch(/^x-touch-ifs-.*-pwned-id$/);
    expect(existsSync(pwn)).toBe(false);
    expect((await w.tk(['destroy', name, '--force'])).code).toBe(0);
  }, 120_000);
});

describe('enter', () => {
  let w: E2eWorld;
  beforeAll(() => {
    w = e2eWorld();
  });
  afterAll(async () => {
    await w.cleanup();
  }, 60_000);

  it('opens a login shell in the worktree over OpenSSH (TERM fallback, connection reuse, exit code kept)', async () => {
    const s = await w.tk(['spawn', 'feat/enter', '--no-interactive', '--json']);
    expect(s.code).toBe(0);
    const { name } = JSON.parse(s.stdout).data as { name: string };
    for (let i = 0; i < 2; i++) {
      const t0 = Date.now();
      const p = spawnPty(TK, ['enter', name], { env: { ...w.env, TERM: 'tk-no-such-term' }, cwd: w.root });
      await p.waitFor(/\$ $/m, 20_000).catch(() => undefined);
      p.write('echo "T=$TERM P=$(pwd) H=$(hostname) C=$TACHIKOMA"; exit 3\r');
      await p.waitFor('H=feat-enter', 20_000);
      expect(p.output()).toContain('T=xterm-256color P=/mnt/tachikoma/code H=feat-enter C=1');
      expect(await p.exited()).toBe(3);
      if (i === 1) expect(Date.now() - t0).toBeLessThan(15_000);
    }
    expect(w.closeMasters()).toBeGreaterThan(0);
  }, 90_000);

  it('tk BRANCH on a terminal spawns the VM and ends in its shell', async () => {
    const p = spawnPty(TK, ['feat/pty'], { env: { ...w.env, TERM: 'xterm-256color' }, cwd: w.root });
    await p.waitFor(/\$ $/m, 60_000).catch(() => undefined);
    p.write('echo "H=$(hostname)"; exit\r');
    await p.waitFor('H=feat-pty', 30_000);
    expect(await p.exited()).toBe(0);
    w.closeMasters();
  }, 90_000);
});

describe('macOS guest image', () => {
  let w: E2eWorld;
  beforeAll(() => {
    w = e2eWorld();
    // A macOS image needs 4 CPUs and 8 GiB (cpuCountMin/memorySizeMin); direct credentials (none here).
    writeFileSync(
      join(w.env['TK_HOME'] as string, 'config.toml'),
      ['agent_install_command = ""', 'credential_proxy = false', 'base_image = "ghcr.io/cirruslabs/macos-tahoe-base:latest"', 'vm_cpus = 4', 'vm_memory = 8192', 'share_claude_dirs = []', ''].join('\n'),
    );
  });
  afterAll(async () => {
    await w.cleanup();
  }, 60_000);

  it('uses the automounted share, skips Linux-only steps with a note, and really suspends and resumes', async () => {
    const s = await w.tk(['spawn', 'mac', '--no-interactive', '--json']);
    expect(s.code).toBe(0);
    const { name } = JSON.parse(s.stdout).data as { name: string };
    expect((await w.tk(['exec', name, '--', 'pwd'])).stdout).toBe('/Volumes/My Shared Files/code\n');
    const log = (await w.tk(['logs', name])).stdout;
    expect(log).toMatch(/hostname.*skipped.*macOS guest/);
    expect((await w.tk(['suspend', name])).code).toBe(0);
    expect(w.tart(['list', '--format', 'json'])).toMatch(/"State" : "suspended"/);
    const r = await w.tk(['resume', name, '--json']);
    const resumed = JSON.parse(r.stdout).data as { kind: string; provisioned: string[]; skipped: Array<{ step: string; reason: string }> };
    expect(resumed.kind).toBe('resumed');
    // The Linux-only hostname step is reported as skipped, not as provisioned.
    expect(resumed.provisioned).toEqual(['mount']);
    expect(resumed.skipped).toEqual([{ step: 'hostname', reason: 'macOS guest: hostname left as is (Linux-only step)' }]);
    const p = await w.tk(['provision', name]);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/^ {2}provisioned: mount, git, profile, agent-config, scripts$/m);
    expect(p.stdout).toMatch(/^ {2}skipped: hostname \(macOS guest: [^\n]*\); agent-install \(agent_install_command is empty\)$/m);
    expect((await w.tk(['exec', name, '--', 'sh', '-c', 'test -f "$HOME/.tk/env.sh" && pwd'])).stdout).toBe('/Volumes/My Shared Files/code\n');
    expect((await w.tk(['destroy', name, '--force'])).code).toBe(0);
  }, 90_000);
});

describe('concurrency and interruption', () => {
  let w: E2eWorld;
  beforeAll(() => {
    w = e2eWorld();
  });
  afterAll(async () => {
    await w.cleanup();
  }, 60_000);

  it('10 parallel spawns all succeed with their own VM', async () => {
    const branches = Array.from({ length: 10 }, (_, i) => `p${i}`);
    try {
      const results = await Promise.all(branches.map((b) => w.tk(['spawn', b, '--no-interactive', '--json'])));
      for (const r of results) expect(r.stderr.match(/^error.*/m)?.[0] ?? '').toBe('');
      const names = results.map((r) => (JSON.parse(r.stdout) as { data: { name: string } }).data.name);
      expect(new Set(names).size).toBe(10);
      const hosts = await Promise.all(names.map((n) => w.tk(['exec', n, '--', 'hostname'])));
      expect(hosts.map((h) => h.stdout.trim())).toEqual(branches);
      const views = JSON.parse((await w.tk(['list', '--json'])).stdout) as Array<{ status: string }>;
      expect(views.filter((v) => v.status === 'running')).toHaveLength(10);
      for (const n of names) expect((await w.tk(['destroy', n, '--force'])).code).toBe(0);
    } finally {
      // If an assertion failed, do not leave ten VMs behind for the next test to trip over.
      const left = JSON.parse(w.tart(['list', '--format', 'json'])) as Array<{ Name: string; Running: boolean; Source: string }>;
      for (const v of left) {
        if (v.Source !== 'local' || !/-p\d$/.test(v.Name)) continue;
        try {
          if (v.Running) w.tart(['stop', v.Name]);
          w.tart(['delete', v.Name]);
        } catch {
          /* best effort */
        }
      }
    }
  }, 180_000);

  it('two tk processes spawning the same branch: one VM, one clone', async () => {
    const [a, b] = await Promise.all([w.tk(['spawn', 'same', '--no-interactive', '--json']), w.tk(['spawn', 'same', '--no-interactive', '--json'])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const kinds = [a, b].map((r) => (JSON.parse(r.stdout) as { data: { kind: string } }).data.kind).sort();
    expect(kinds).toEqual(['created', 'reconnected']);
    expect((await w.tk(['destroy', 'tachikoma-myrepo-same', '--force'])).code).toBe(0);
  }, 60_000);

  it('spawns SIGKILLed, interrupted (SIGINT) or terminated at random moments are finished by the next spawn', async () => {
    for (let i = 0; i < 5; i++) {
      const branch = `k${i}`;
      const child = w.tkChild(['spawn', branch, '--no-interactive']);
      await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 900)));
      const sig = (['SIGKILL', 'SIGINT', 'SIGTERM'] as const)[i % 3] as NodeJS.Signals;
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      child.kill(sig);
      const code = await exited;
      // Ctrl-C / SIGTERM: tk stops cleanly with 130 (or had already finished).
      if (sig !== 'SIGKILL') expect([0, 130]).toContain(code);
      const again = await w.tk(['spawn', branch, '--no-interactive', '--json']);
      expect(again.stderr.match(/^error.*/m)?.[0] ?? '').toBe('');
      const { name } = JSON.parse(again.stdout).data as { name: string };
      const h = await w.tk(['exec', name, '--', 'sh', '-c', 'hostname; mountpoint -q /mnt/tachikoma && echo mounted']);
      expect(h.stdout).toBe(`${branch}\nmounted\n`);
      const st = JSON.parse((await w.tk(['status', name, '--json'])).stdout);
      expect(st.data.provision_result).toBe('ok');
    }
    const tartVms = JSON.parse(w.tart(['list', '--format', 'json'])) as Array<{ Name: string; Source: string }>;
    expect(tartVms.filter((v) => v.Source === 'local').map((v) => v.Name).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4'].map((b) => `tachikoma-myrepo-${b}`));
  }, 240_000);
});
