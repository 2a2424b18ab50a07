// --dir shares as virtiofs: mounting by tag, named/unnamed, live two-way, ownership, :ro locked
// even against guest root, macOS auto-mount.
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, type SimEnv } from './helpers.js';
import { cloneUbuntu, guestSimEnv, killAll, startVm, tartSim } from './guest-helpers.js';

let sim: SimEnv;
let rw: string;
let ro: string;
let solo: string;
const ex = (...cmd: string[]): ReturnType<typeof tartSim> => tartSim(['exec', 'demo', ...cmd], { env: sim.env });
const sh = (script: string): ReturnType<typeof tartSim> => ex('sh', '-c', script);

beforeAll(async () => {
  ensureBuilt();
  sim = guestSimEnv();
  await cloneUbuntu(sim, 'demo');
  rw = join(sim.dir, 'rw');
  ro = join(sim.dir, 'ro');
  solo = join(sim.dir, 'solo');
  for (const d of [rw, ro, solo]) mkdirSync(d);
  writeFileSync(join(rw, 'host-root.txt'), 'from host\n', { mode: 0o644 });
  writeFileSync(join(rw, 'other-user.txt'), 'owned by 1000 on the host\n', { mode: 0o644 });
  chownSync(join(rw, 'other-user.txt'), 1000, 1000);
  writeFileSync(join(ro, 'locked.txt'), 'read only\n');
  writeFileSync(join(solo, 'solo.txt'), 'solo\n');
});
afterEach(killAll);
afterAll(() => sim.cleanup());

describe('virtiofs shares', () => {
  it('named shares under the default tag, live both ways; admin writes host files; new files land owned by the host user', async () => {
    await startVm(sim, 'demo', [`--dir=work:${rw}`, `--dir=docs:${ro}:ro`]);
    const m = await sh('mkdir -p ~/shared && sudo mount -t virtiofs com.apple.virtio-fs.automount ~/shared && ls ~/shared && cat ~/shared/work/host-root.txt');
    expect(m).toEqual({ code: 0, stdout: 'docs\nwork\nfrom host\n', stderr: '' });
    // guest -> host, by admin, into a host-root-owned file and a new file
    const w = await sh('echo guest >> ~/shared/work/host-root.txt && echo new > ~/shared/work/new.txt && stat -c %U ~/shared/work/new.txt ~/shared/work/host-root.txt');
    expect(w).toEqual({ code: 0, stdout: 'admin\nadmin\n', stderr: '' });
    expect(readFileSync(join(rw, 'host-root.txt'), 'utf8')).toBe('from host\nguest\n');
    expect(statSync(join(rw, 'new.txt')).uid).toBe(process.getuid?.());
    expect(statSync(join(rw, 'new.txt')).gid).toBe(process.getgid?.());
    // host -> guest, live
    writeFileSync(join(rw, 'later.txt'), 'written later\n');
    expect((await ex('cat', '/home/admin/shared/work/later.txt')).stdout).toBe('written later\n');
    // guest root's new files land as the guest-admin's host counterpart (the ids swap), not as host root
    await sh('sudo sh -c "echo r > /home/admin/shared/work/by-root.txt"');
    expect(statSync(join(rw, 'by-root.txt')).uid).toBe(1000);
  });

  it(':ro is enforced for admin and for guest root, and guest root cannot remount it read-write', async () => {
    await startVm(sim, 'demo', [`--dir=work:${rw}`, `--dir=docs:${ro}:ro`]);
    await sh('mkdir -p ~/s && sudo mount -t virtiofs com.apple.virtio-fs.automount ~/s');
    const a = await sh('echo x > ~/s/docs/locked.txt');
    expect(a.code).not.toBe(0);
    expect(a.stderr).toMatch(/Read-only file system/);
    const r = await sh('sudo sh -c "echo x > /home/admin/s/docs/locked.txt"');
    expect(r.stderr).toMatch(/Read-only file system/);
    for (const attempt of [
      'sudo mount -o remount,bind,rw /home/admin/s/docs',
      'sudo mount -o remount,rw /home/admin/s/docs',
      'sudo mount -o remount,bind,rw /run/sim/shares/com.apple.virtio-fs.automount/docs',
      'sudo umount /home/admin/s/docs',
    ]) {
      const res = await sh(`${attempt} && sudo sh -c "echo pwned > /home/admin/s/docs/locked.txt"`);
      expect(res.code, attempt).not.toBe(0);
    }
    expect(readFileSync(join(ro, 'locked.txt'), 'utf8')).toBe('read only\n');
    // a fresh ro mount request works too
    const again = await sh('mkdir -p ~/t && sudo mount -t virtiofs com.apple.virtio-fs.automount ~/t -o ro && ! touch ~/t/work/nope 2>/dev/null && echo ro-ok');
    expect(again.stdout).toBe('ro-ok\n');
  });

  it('a single unnamed share is the folder itself; custom tags mount by their tag; unknown tags fail like mount', async () => {
    await startVm(sim, 'demo', [`--dir=${solo}`, `--dir=p:${rw}:tag=project`]);
    const s = await sh('sudo mkdir -p /mnt/a /mnt/b && sudo mount -t virtiofs com.apple.virtio-fs.automount /mnt/a && ls /mnt/a && sudo mount -t virtiofs project /mnt/b && ls /mnt/b/p | grep -c host-root');
    expect(s).toEqual({ code: 0, stdout: 'solo.txt\n1\n', stderr: '' });
    const bad = await sh('sudo mkdir -p /mnt/c && sudo mount -t virtiofs nosuchtag /mnt/c');
    expect(bad.code).toBe(32);
    expect(bad.stderr).toMatch(/nosuchtag/);
  });

  it('macOS-guest images see default-tag shares auto-mounted at /Volumes/My Shared Files', async () => {
    await cloneUbuntu(sim, 'mac', 'ghcr.io/cirruslabs/macos-tahoe-base:latest');
    await startVm(sim, 'mac', [`--dir=project:${rw}`]);
    const r = await tartSim(['exec', 'mac', 'cat', '/Volumes/My Shared Files/project/host-root.txt'], { env: sim.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^from host\n/);
  });

  it('rejects several unnamed shares for one tag (root usage, exit 64) and a missing folder', async () => {
    const r = await tartSim(['run', '--no-graphics', `--dir=${rw}`, `--dir=${ro}`, 'demo'], { env: sim.env });
    expect(r).toEqual({
      code: 64,
      stdout: '',
      stderr: "Error: invalid --dir syntax: for multiple directory shares each one of them should be named\nUsage: tart <subcommand>\n  See 'tart --help' for more information.\n",
    });
    const missing = await tartSim(['run', '--no-graphics', `--dir=x:${join(sim.dir, 'nope')}`, 'demo'], { env: sim.env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^Error: the directory share ".*nope" does not exist/);
  });
});
