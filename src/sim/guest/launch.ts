// Starts one sim guest (see src/sim/assets/guest-init.pl for what happens inside) and reports its
// processes. The chain that ties the guest's life to the `tart-sim run` process:
//   node --spawn--> setpriv --pdeathsig KILL --exec--> unshare --kill-child=SIGKILL --fork--> perl (PID 1)
// run dies (even SIGKILL) -> the kernel SIGKILLs unshare -> unshare's death SIGKILLs PID 1 -> the
// kernel SIGKILLs everything else in the PID namespace (sshd sessions, exec sessions, daemons).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Share {
  tag: string;
  /** Empty for an unnamed (single-directory) share. */
  name: string;
  path: string;
  ro: boolean;
}

export interface GuestSpec {
  name: string;
  ip: string;
  os: 'linux' | 'darwin';
  simDir: string;
  shares: Share[];
  bootDelayMs: number;
  noSshd: boolean;
}

export interface Guest {
  child: ChildProcess;
  /** Host PID of the guest's PID 1 (SIGTERM = power off, SIGHUP = reboot). */
  initPid: number;
  /** Host PID of the guest anchor (inside the guest's user/mount/UTS namespaces): `exec` enters it. */
  anchorPid: number;
  /** Resolves with the exit code of PID 1 (0 power-off, 3 reboot) or null if killed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Directory of the guest assets (dist/sim/assets next to the bundle, or src/sim/assets in a checkout). */
export function assetsDir(): string {
  const candidates: string[] = [];
  if (process.argv[1]) {
    try {
      candidates.push(join(dirname(realpathSync(process.argv[1])), 'assets'));
    } catch {
      /* not a file */
    }
  }
  const here = dirname(fileURLToPath(import.meta.url));
  candidates.push(join(here, 'assets'), join(here, '..', 'assets'), resolve(here, '../../src/sim/assets'));
  for (const c of candidates) if (existsSync(join(c, 'guest-init.pl'))) return c;
  throw new Error(`tart-sim guest assets not found (looked in ${candidates.join(', ')}); rebuild with node scripts/build.mjs`);
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Boot the guest; resolves once PID 1 reports that the guest anchor exists. */
export function bootGuest(spec: GuestSpec, stderr: (s: string) => void): Promise<Guest> {
  const upper = join(spec.simDir, 'upper');
  const work = join(spec.simDir, 'work');
  const merged = join(spec.simDir, 'merged');
  for (const d of [upper, work, merged]) mkdirSync(d, { recursive: true });
  const shares = spec.shares.map((s) => [s.tag, s.name, s.path, s.ro ? '1' : ''].join('\x1f')).join('\x1e');
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    SIM_NAME: spec.name,
    SIM_IP: spec.ip,
    SIM_UPPER: upper,
    SIM_WORK: work,
    SIM_MERGED: merged,
    SIM_OS: spec.os,
    SIM_HOST_UID: String(process.getuid?.() ?? 0),
    SIM_HOST_GID: String(process.getgid?.() ?? 0),
    SIM_ASSETS: assetsDir(),
    SIM_SHARES: shares,
    SIM_BOOT_DELAY_MS: String(spec.bootDelayMs),
    SIM_NO_SSHD: spec.noSshd ? '1' : '',
  };
  const child = spawn(
    'setpriv',
    [
      '--pdeathsig', 'KILL', '--',
      'unshare', '--mount', '--pid', '--fork', '--mount-proc', '--kill-child=SIGKILL', '--propagation', 'private', '--',
      'perl', join(env['SIM_ASSETS'] as string, 'guest-init.pl'),
    ],
    // Own session: terminal signals (Ctrl-C, Ctrl-Z) reach only `run`, which decides what they mean.
    { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true },
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  child.stderr?.on('data', (b: Buffer) => stderr(b.toString()));
  return new Promise((resolvePromise, reject) => {
    let buf = '';
    const onData = (b: Buffer): void => {
      buf += b.toString();
      const m = /^ready (\d+)\n/m.exec(buf);
      if (!m) return;
      child.stdout?.off('data', onData);
      const unsharePid = child.pid as number;
      const initPid = childrenOf(unsharePid)[0];
      const anchorPid = initPid ? childrenOf(initPid)[0] : undefined;
      if (!initPid || !anchorPid) {
        child.kill('SIGKILL');
        reject(new Error('the guest started but its processes could not be found'));
        return;
      }
      resolvePromise({ child, initPid, anchorPid, exited });
    };
    child.stdout?.on('data', onData);
    child.once('error', (e) => reject(new Error(`cannot start the guest (setpriv/unshare/perl from util-linux and perl are required): ${e.message}`)));
    void exited.then(({ code, signal }) => reject(new Error(`the guest failed to boot (exit ${code ?? signal})`)));
  });
}
