// "Running" == a live `tart-sim run` process holds the VM lock (Tart: an fcntl lock on config.json,
// which the kernel drops the instant the process dies). Node has no fcntl/flock, so a lock is a file
// holding {pid, startTime}; it is live only while /proc/<pid>/stat still shows the same start time,
// so a killed `run` (even SIGKILL) frees it at once and a recycled PID never looks alive.
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { simDir, tartHome } from './home.js';

export interface RunLock {
  pid: number;
  startTime: string;
  initPid?: number;
  suspendable?: boolean;
}

export interface HeldLock {
  update(p: Partial<RunLock>): void;
  release(): void;
}

/** Field 22 (starttime) of /proc/<pid>/stat, or null when the process is gone. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); a zombie holds no lock.
    if (fields[0] === 'Z') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

export function isAlive(lock: { pid: number; startTime: string }): boolean {
  return processStartTime(lock.pid) === lock.startTime;
}

let selfStart: string | null = null;
export function selfIdentity(): { pid: number; startTime: string } {
  selfStart ??= processStartTime(process.pid) ?? '0';
  return { pid: process.pid, startTime: selfStart };
}

function readLockFile(path: string): RunLock | null {
  if (!existsSync(path)) return null; // cheaper than a thrown ENOENT (list probes every VM)
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as RunLock;
    if (typeof parsed.pid !== 'number' || typeof parsed.startTime !== 'string') return null;
    return parsed;
  } catch {
    return null;
  }
}

/** The lock at `path` if a live process holds it; null if absent or stale. */
export function readLiveFileLock(path: string): RunLock | null {
  const lock = readLockFile(path);
  return lock && isAlive(lock) ? lock : null;
}

let tmpCounter = 0;
function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.${tmpCounter++}.tmp`;
  writeFileSync(tmp, content);
  try {
    // rename would replace; callers that need exclusivity use link() below.
    linkSync(tmp, path);
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Try to take the lock file at `path` for this process. Returns null when a live process holds it.
 * Stale locks (dead holder) are removed and the acquisition retried.
 */
export function tryAcquireFileLock(path: string, extra: Partial<RunLock> = {}): HeldLock | null {
  mkdirSync(dirname(path), { recursive: true });
  const me = selfIdentity();
  let state: RunLock = { ...extra, pid: me.pid, startTime: me.startTime };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeAtomic(path, JSON.stringify(state));
      let released = false;
      return {
        update(p: Partial<RunLock>): void {
          if (released) return;
          state = { ...state, ...p, pid: me.pid, startTime: me.startTime };
          const tmp = `${path}.${process.pid}.${tmpCounter++}.tmp`;
          writeFileSync(tmp, JSON.stringify(state));
          renameSync(tmp, path);
        },
        release(): void {
          if (released) return;
          released = true;
          const cur = readLockFile(path);
          if (cur && cur.pid === me.pid && cur.startTime === me.startTime) {
            try {
              unlinkSync(path);
            } catch {
              /* already gone */
            }
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readLockFile(path);
      if (holder && isAlive(holder)) return null;
      if (holder && holder.pid === me.pid && holder.startTime === me.startTime) return null;
      // Stale (or half-written): move it aside atomically, so that two processes cleaning up the
      // same stale lock cannot delete a fresh one; if what we moved turns out live, put it back.
      const grave = `${path}.stale.${process.pid}.${tmpCounter++}`;
      try {
        renameSync(path, grave);
      } catch {
        continue; // somebody else moved it first: retry
      }
      const moved = readLockFile(grave);
      if (moved && isAlive(moved)) {
        try {
          linkSync(grave, path);
        } catch {
          /* a newer lock took the slot */
        }
      }
      unlinkSync(grave);
    }
  }
  return null;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocking sleep (used only while waiting on short-lived locks). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Blocking acquisition, polling every `pollMs` (Tart's flock(LOCK_EX) blocks the same way). */
export function acquireFileLockBlocking(path: string, pollMs = 20): HeldLock {
  for (;;) {
    const held = tryAcquireFileLock(path);
    if (held) return held;
    sleepSync(pollMs);
  }
}

export function runLockPath(name: string): string {
  return join(simDir(name), 'run.lock');
}

/** The VM's run lock if a live `run` process holds it; null if absent or stale. */
export function readLiveLock(name: string): RunLock | null {
  return readLiveFileLock(runLockPath(name));
}

/** Take the VM's run lock (null = held by a live process). */
export function acquireRunLock(name: string): HeldLock | null {
  return tryAcquireFileLock(runLockPath(name));
}

/** Global lock on $TART_HOME (Tart: flock on the directory): clone copy/move, run start-up, import. */
export async function withHomeLock<T>(fn: () => T | Promise<T>): Promise<T> {
  const path = join(tartHome(), '.sim-home.lock');
  let held = tryAcquireFileLock(path);
  while (!held) {
    await new Promise((r) => setTimeout(r, 20));
    held = tryAcquireFileLock(path);
  }
  try {
    return await fn();
  } finally {
    held.release();
  }
}
