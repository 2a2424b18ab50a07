import { describe, expect, it } from 'vitest';
import { TkError } from '../../src/core/errors.js';
import { PROVISION_STEPS } from '../../src/core/model.js';
import { SECRET, world } from './engine-fakes.js';

const NAME = 'tachikoma-app-feat';
async function failure(p: Promise<unknown>): Promise<TkError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TkError) return e;
    throw e;
  }
  throw new Error('expected a TkError');
}

// world() has no agent_install_command and no provision_scripts: those two steps are skipped, not run.
const SKIPPED = [
  { step: 'agent-install', reason: 'agent_install_command is empty' },
  { step: 'scripts', reason: 'no provision_scripts or profiles' },
];
const RAN = PROVISION_STEPS.filter((s) => s !== 'agent-install' && s !== 'scripts');

const ops = (w: ReturnType<typeof world>) => w.tart.calls.map((c) => c[0]).filter((c) => c !== 'list' && c !== 'ip');

describe('spawn state machine', () => {
  it('creates: records intent, clones, sets cpu/memory/random MAC, runs with the shares, provisions everything in 2 round trips', async () => {
    const w = world({ vm_cpus: 2, vm_memory: 2048 });
    const events: string[] = [];
    const r = await w.app.spawn({ cwd: '/repos/app', branch: 'feat', onProgress: (e) => events.push(`${e.vm} ${e.phase}`) });
    expect(r.kind).toBe('created');
    expect(r.name).toBe(NAME);
    expect(events.slice(0, 3)).toEqual([`${NAME} worktree`, `${NAME} clone`, `${NAME} configure`]);
    expect(ops(w)).toEqual(['clone', 'set', 'get', 'run']);
    const set = w.tart.calls.find((c) => c[0] === 'set');
    expect(JSON.parse(set?.[2] ?? '{}')).toEqual({ cpu: 2, memoryMb: 2048, randomMac: true });
    const run = w.tart.calls.find((c) => c[0] === 'run') ?? [];
    expect(run).toContain('code:/repos/app-feat');
    expect(run).toContain('dotgit:/repos/app/.git');
    expect(run).toContain('claude-skills:/home/u/.claude/skills:ro');
    expect(run).toContain(`tk-status:/tkhome/vms/${NAME}/status`);
    expect(r.provisioned).toEqual(RAN);
    expect(r.skipped).toEqual(SKIPPED);
    expect(w.ssh.sessions).toHaveLength(1);
    expect(w.ssh.sessions[0]?.auth).toBe('password');
    expect(w.ssh.sessions[0]?.commands.length).toBeLessThanOrEqual(3);
    const rec = w.store.state.vms[0];
    expect(rec?.provision?.result).toBe('ok');
    expect(rec?.provision?.done).toEqual([...PROVISION_STEPS]);
    expect(rec?.host_key).toBe(`ssh-ed25519 KEY-${NAME}`);
    expect(rec?.status).toBe('running');
    expect(w.host.known.get(NAME)).toBe(`ssh-ed25519 KEY-${NAME}`);
    const log = w.host.logs.get(NAME) ?? '';
    expect(log).toMatch(/@@tk phase=clone event=start at=\S+/);
    expect(log).toMatch(/@@tk phase=git event=end result=ok at=\S+ ms=\d+/);
    expect(log).toContain('output of git');
    expect(log).toMatch(/@@tk phase=ready event=end result=ok at=\S+ msg=provisioned ssh-key,mount,git,hostname,profile,agent-config, skipped agent-install,scripts in 2 SSH round trips/);
  });

  it('reconnects to a running VM without cloning, starting or provisioning', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    w.tart.calls = [];
    const r = await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(r.kind).toBe('reconnected');
    expect(r.provisioned).toEqual([]);
    expect(r.skipped).toEqual([]);
    expect(ops(w)).toEqual([]);
    expect(w.ssh.sessions[1]?.auth).toBe('key');
    expect(w.ssh.sessions[1]?.commands).toEqual([]);
  });

  it('starts a stopped VM and redoes only the mount and hostname (worktree mounted again)', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    await w.app.halt(NAME);
    expect(w.tart.vms.get(NAME)?.state).toBe('stopped');
    expect(w.store.state.vms[0]?.status).toBe('stopped');
    w.tart.calls = [];
    const r = await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(r.kind).toBe('started');
    expect(ops(w)).toEqual(['run']);
    expect(r.provisioned).toEqual(['mount', 'hostname']);
    expect(w.ssh.sessions.at(-1)?.commands.length).toBe(2);
  });

  it('resumes a suspended VM', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    const vm = w.tart.vms.get(NAME);
    if (vm) vm.state = 'suspended';
    const r = await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(r.kind).toBe('resumed');
    expect(r.provisioned).toEqual(['mount', 'hostname']);
  });

  it('never clones over an existing VM: a record without a VM is recreated, a VM without progress is configured, not re-cloned', async () => {
    const w = world();
    w.tart.failNext['set'] = new TkError('interrupted', 'Interrupted.');
    await expect(w.app.spawn({ cwd: '/repos/app', branch: 'feat' })).rejects.toThrow('Interrupted');
    expect(w.store.state.vms[0]?.provision?.phase).toBe('configure');
    const r = await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(r.kind).toBe('started');
    expect(w.tart.calls.filter((c) => c[0] === 'clone')).toHaveLength(1);
    expect(w.tart.calls.filter((c) => c[0] === 'set')).toHaveLength(2);
    expect(r.provisioned).toEqual(RAN);
  });

  it('an interrupted clone leaves a record (phase=clone) that the next spawn finishes', async () => {
    const w = world();
    w.tart.failNext['clone'] = new TkError('interrupted', 'Interrupted.');
    await expect(w.app.spawn({ cwd: '/repos/app', branch: 'feat' })).rejects.toThrow();
    expect(w.store.state.vms[0]?.provision?.phase).toBe('clone');
    const r = await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(r.kind).toBe('created');
    expect(w.store.state.vms[0]?.provision?.result).toBe('ok');
  });

  it('boot failure on create: the ghost VM is stopped, the record kept as failed, the next spawn finishes it', async () => {
    const w = world({ boot_timeout_secs: 10 });
    w.tart.noIp.add(NAME);
    const err = await failure(w.app.spawn({ cwd: '/repos/app', branch: 'feat' }));
    expect(err).toBeInstanceOf(TkError);
    expect(err.message).toContain('Timed out waiting for VM');
    expect(err.hint).toContain('/tkhome/logs/');
    expect(err.hint).toContain(`tk destroy ${NAME}`);
    expect(w.tart.vms.get(NAME)?.state).toBe('stopped');
    expect(w.store.state.vms[0]?.provision?.phase).toBe('failed');
    w.tart.noIp.clear();
    const r = await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(r.kind).toBe('started');
    expect(r.provisioned).toEqual(RAN);
  });

  it('tolerates `tart run` not holding its lock yet: a VM that lists as stopped right after run still boots', async () => {
    const w = world();
    w.tart.runLag = 3;
    const r = await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(r.kind).toBe('created');
    expect(r.provisioned).toEqual(RAN);
  });

  it('a `tart run` that dies at once is still reported as stopped while booting (after the start-up grace)', async () => {
    const w = world();
    w.tart.runDies.add(NAME);
    const t0 = w.clock.t;
    const err = await failure(w.app.spawn({ cwd: '/repos/app', branch: 'feat' }));
    expect(err.message).toBe(`The VM ${NAME} stopped while booting.`);
    expect(err.hint).toContain('/tkhome/logs/');
    expect(w.clock.t - t0).toBeLessThan(60_000);
  });

  it('rejects a stale lease: an IP answering with another VM\'s host key is not accepted', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    await w.app.spawn({ cwd: '/repos/app', branch: 'other' });
    await w.app.halt(NAME);
    // The stopped VM's old lease now points at the other VM's IP for a while.
    w.tart.staleIp = { vm: NAME, answersAs: 'tachikoma-app-other', times: 3 };
    const r = await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(r.ip).toBe(w.tart.ipOf(w.tart.vms.get(NAME)!));
    expect(w.store.state.vms.find((v) => v.name === NAME)?.host_key).toBe(`ssh-ed25519 KEY-${NAME}`);
    expect(w.host.logs.get(NAME)).toContain('Host key verification failed');
  });

  it('a lease that stays stale ends in a clear timeout naming the stale lease', async () => {
    const w = world({ boot_timeout_secs: 8 });
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    await w.app.spawn({ cwd: '/repos/app', branch: 'other' });
    await w.app.halt(NAME);
    w.tart.staleIp = { vm: NAME, answersAs: 'tachikoma-app-other', times: 1000 };
    await expect(w.app.spawn({ cwd: '/repos/app', branch: 'feat' })).rejects.toThrow(/stale DHCP lease/);
  });

  it('resumes provisioning at the failed step', async () => {
    const w = world();
    w.ssh.failStep = 'profile';
    const err = await failure(w.app.spawn({ cwd: '/repos/app', branch: 'feat' }));
    expect(err.code).toBe('provision');
    expect(err.message).toContain('profile');
    expect(err.hint).toContain(`tk provision ${NAME}`);
    const rec = w.store.state.vms[0];
    expect(rec?.provision?.done).toEqual(['ssh-key', 'mount', 'git', 'hostname']);
    expect(rec?.provision?.result).toBe('failed');
    w.ssh.failStep = null;
    const r = await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(r.kind).toBe('reconnected');
    expect(r.provisioned).toEqual(['profile', 'agent-config']);
    expect(r.skipped).toEqual(SKIPPED);
    expect(w.store.state.vms[0]?.provision?.result).toBe('ok');
  });

  it('keeps secrets out of SSH command lines and the log (they travel in the script on stdin)', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    const commands = w.ssh.sessions.flatMap((s) => s.commands);
    expect(commands.join('\n')).not.toContain(SECRET);
    expect(w.tart.calls.flat().join('\n')).not.toContain(SECRET);
    expect(w.host.logs.get(NAME)).not.toContain(SECRET);
    // ...but it does reach the guest, inside a base64 file body of the script sent on stdin.
    const bodies = [...(w.ssh.sessions[0]?.stdins.join('\n') ?? '').matchAll(/printf '%s' '([A-Za-z0-9+/=]+)'/g)].map((m) => Buffer.from(m[1] ?? '', 'base64').toString());
    expect(bodies.some((b) => b.includes(`ANTHROPIC_AUTH_TOKEN='${SECRET}'`))).toBe(true);
    expect(JSON.stringify(w.store.state)).not.toContain(SECRET);
  });
});

describe('more spawn details', () => {
  it('tolerates a just-spawned tart run that does not hold its lock yet', async () => {
    const w = world();
    w.tart.lockDelay = 3;
    const r = await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(r.kind).toBe('created');
  });

  it('a tart run that dies is reported with the log, and the VM record is kept as failed', async () => {
    const w = world();
    w.tart.lockDelay = 1000;
    w.host.appendLog(NAME, 'Error: something tart said');
    const err = await failure(w.app.spawn({ cwd: '/repos/app', branch: 'feat' }));
    expect(err.message).toContain('stopped while booting');
    expect(err.message).toContain('Error: something tart said');
    expect(err.hint).toContain('/tkhome/logs/');
    expect(w.store.state.vms[0]?.provision?.phase).toBe('failed');
  });

  it('two spawns of one branch at once: one creates, the other waits and reconnects (never a second clone)', async () => {
    const w = world();
    const [a, b] = await Promise.all([w.app.spawn({ cwd: '/repos/app', branch: 'feat' }), w.app.spawn({ cwd: '/repos/app', branch: 'feat' })]);
    expect([a.kind, b.kind].sort()).toEqual(['created', 'reconnected']);
    expect(w.tart.calls.filter((c) => c[0] === 'clone')).toHaveLength(1);
  });

  it('ensures the credential proxy on every outcome (the token is reused), not only when provisioning', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(w.proxy.issued).toEqual([NAME]);
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(w.proxy.issued).toEqual([NAME, NAME]);
    const d = world({ credential_proxy: false });
    await d.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    await d.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(d.proxy.issued).toEqual([NAME]);
  });

  it('tk provision runs every step again on a running VM, and starts a stopped one first', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    const r = await w.app.provision(NAME);
    expect(r.kind).toBe('reconnected');
    expect(r.provisioned).toEqual(RAN.filter((s) => s !== 'ssh-key'));
    expect(r.skipped).toEqual(SKIPPED);
    await w.app.halt(NAME);
    const r2 = await w.app.provision(NAME);
    expect(r2.kind).toBe('started');
    expect(r2.provisioned).toEqual(RAN.filter((s) => s !== 'ssh-key'));
    expect(r2.skipped).toEqual(SKIPPED);
  });

  it('skipped steps are reported apart from the steps that ran, with tk\'s reason (resume of a macOS guest, an install command)', async () => {
    const w = world({ agent_install_command: 'npm i -g @anthropic-ai/claude-code' });
    const r = await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(r.provisioned).toEqual(PROVISION_STEPS.filter((s) => s !== 'scripts'));
    expect(r.skipped).toEqual([{ step: 'scripts', reason: 'no provision_scripts or profiles' }]);
    const m = world();
    m.tart.image.os = 'darwin';
    await m.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    await m.app.suspend(NAME);
    const res = await m.app.resume(NAME);
    expect(res.kind).toBe('resumed');
    expect(res.provisioned).toEqual(['mount']);
    expect(res.skipped).toEqual([{ step: 'hostname', reason: 'macOS guest: hostname left as is (Linux-only step)' }]);
    // Skipped steps still count as done: they are not retried on the next start.
    expect(m.store.state.vms[0]?.provision?.done).toEqual([...PROVISION_STEPS]);
  });

  it('a VM deleted out of band is recreated (fresh provisioning, known_hosts reset)', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    w.tart.vms.delete(NAME);
    const r = await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(r.kind).toBe('created');
    expect(r.provisioned).toEqual(RAN);
  });
});

describe('the other operations', () => {
  it('halt asks the guest to power off first, then records stopped', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    w.tart.calls = [];
    await w.app.halt(NAME);
    expect(w.ssh.sessions.at(-1)?.commands.some((c) => c.includes('poweroff'))).toBe(true);
    expect(ops(w)).toEqual([]);
  });

  it('suspend: Linux guests get the explanation and the alternative; macOS guests are suspended for real', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    const err = await failure(w.app.suspend(NAME));
    expect(err.message).toContain('Tart cannot suspend Linux VMs');
    expect(err.hint).toContain(`tk halt ${NAME}`);
    expect(w.tart.vms.get(NAME)?.state).toBe('running');
    const m = world();
    m.tart.image.os = 'darwin';
    await m.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(m.tart.calls.find((c) => c[0] === 'run')).toContain('--suspendable');
    await m.app.suspend(NAME);
    expect(m.tart.vms.get(NAME)?.state).toBe('suspended');
    expect(m.store.state.vms[0]?.status).toBe('suspended');
    expect(m.host.logs.get(NAME)).toContain('hostname: skipped (macOS guest');
  });

  it('exec quotes every argument and runs in the worktree with the profile env', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    let out = '';
    const code = await w.app.exec(NAME, ['printf', '%s\n', "it's", '$HOME', '; rm -rf /'], { stdout: (c) => (out += String(c)), stderr: () => undefined });
    expect(code).toBe(0);
    const cmd = w.ssh.sessions.at(-1)?.commands[0] ?? '';
    expect(cmd).toContain(`exec 'printf' '%s\n' 'it'\\''s' '$HOME' '; rm -rf /'`);
    expect(cmd).toContain(`cd '/mnt/tachikoma/code'`);
    expect(cmd).toContain('.tk/env.sh');
  });

  it('exec reaches a running VM without asking Tart (the host key proves the IP), and still explains a VM stopped out of band', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    w.tart.calls = [];
    expect(await w.app.exec(NAME, ['true'], { stdout: () => undefined, stderr: () => undefined })).toBe(0);
    expect(w.tart.calls).toEqual([]);
    const vm = w.tart.vms.get(NAME);
    if (vm) vm.state = 'stopped';
    const err = await failure(w.app.exec(NAME, ['true'], { stdout: () => undefined, stderr: () => undefined }));
    expect(err.hint).toContain(`tk resume ${NAME}`);
  });

  it('exec and enter on a stopped VM fail with the command to run', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    await w.app.halt(NAME);
    await expect(w.app.exec(NAME, ['true'], { stdout: () => undefined, stderr: () => undefined })).rejects.toThrow(/stopped/);
    const err = await failure(w.app.enterCommand(NAME));
    expect(err.hint).toContain(`tk resume ${NAME}`);
  });

  it('enter: OpenSSH argv with tk key, per-VM known_hosts, ControlMaster, TERM fallback, --agent runs claude with claude_flags', async () => {
    const w = world({ claude_flags: ['--model', 'x y'] });
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    const c = await w.app.enterCommand(NAME, { agent: true, term: 'xterm-kitty' });
    expect(c.file).toBe('ssh');
    expect(c.args).toEqual(expect.arrayContaining(['-i', '/tkhome/ssh/id_ed25519', '-t', 'ControlMaster=auto', 'ControlPersist=600', `UserKnownHostsFile=/tkhome/vms/${NAME}/known_hosts`, 'StrictHostKeyChecking=yes']));
    expect(c.env?.['TERM']).toBe('xterm-kitty');
    const remote = c.args.at(-1) ?? '';
    expect(remote).toContain('xterm-256color');
    expect(remote).toContain('claude');
    expect(remote).toContain('x y');
  });

  it('destroy: plan, VM + record + files removed, clean worktree removed, token revoked; main checkout never removed', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    const plan = await w.app.destroyPlan(NAME);
    expect(plan).toMatchObject({ vmExists: true, diskSizeGb: 3, worktree: '/repos/app-feat', worktreeIsMain: false, branch: 'feat' });
    const rep = await w.app.destroy(NAME, { discardChanges: false });
    expect(rep).toMatchObject({ vmDeleted: true, stateRemoved: true, worktreeRemoved: true });
    expect(w.tart.vms.has(NAME)).toBe(false);
    expect(w.store.state.vms).toEqual([]);
    expect(w.proxy.revoked).toEqual([NAME]);
    await w.app.spawn({ cwd: '/repos/app', branch: 'main' });
    const rep2 = await w.app.destroy('tachikoma-app-main', { discardChanges: true });
    expect(rep2.worktreeRemoved).toBe(false);
    expect(rep2.worktreeKeptReason).toContain('main checkout');
    expect(w.git.removed).toEqual(['/repos/app-feat']);
  });

  it('destroy keeps a dirty worktree without discardChanges', async () => {
    const w = world();
    w.git.changes = async () => ({ changed: 2, ahead: 0, behind: 0 });
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    const rep = await w.app.destroy(NAME, { discardChanges: false });
    expect(rep.worktreeRemoved).toBe(false);
    expect(rep.worktreeKeptReason).toContain('2 uncommitted');
  });

  it('list merges state with Tart: missing and untracked VMs', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    w.tart.vms.delete(NAME);
    w.tart.vms.set('tachikoma-stray', { name: 'tachikoma-stray', state: 'stopped', os: 'linux', mac: 99, hostKey: 'k', ipDelay: 0, booted: false });
    const views = await w.app.list();
    expect(views.map((v) => [v.name, v.status, v.tracked])).toEqual([
      [NAME, 'missing', true],
      ['tachikoma-stray', 'stopped', false],
    ]);
  });
});
