// Cross-process lock: an O_EXCL lock file holding "pid starttime token". A holder that died (pid
// gone, or the pid now belongs to a process started at another time) is detected and its lock
// broken under a second O_EXCL "break" lock, so two waiters never both break (and one never
// deletes the other's fresh lock). Waiters retry with jittered backoff.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { TkError } from '../core/errors.js';

const startTimes = new Map<number, string>();

/** The process start time (clock ticks since boot) from /proc, or '-' where there is no /proc. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? '-';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      try {
        statSync('/proc/self/stat');
        return null; // /proc exists, the pid does not
      } catch {
        return '-';
      }
    }
    return '-';
  }
}

function selfStartTime(): string {
  let t = startTimes.get(process.pid);
  if (!t) {
    t = processStartTime(process.pid) ?? '-';
    startTimes.set(process.pid, t);
  }
  return t;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a lock file's content names a holder that is gone. */
export function isStale(content: string, ageMs: number): boolean {
  const m = /^(\d+) (\S+) (\S+)\n?$/.exec(content);
  // Being written right now (open and write are two steps): stale only once clearly abandoned.
  if (!m) return ageMs > 5000;
  const pid = Number(m[1]);
  if (!pidAlive(pid)) return true;
  const recorded = m[2] as string;
  if (recorded === '-') return false;
  const now = processStartTime(pid);
  return now === null || (now !== '-' && now !== recorded);
}

function readLock(path: string): { content: string; ageMs: number } | null {
  try {
    const st = statSync(path);
    return { content: readFileSync(path, 'utf8'), ageMs: Date.now() - st.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function tryCreate(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function breakStale(path: string, staleContent: string): void {
  const breaker = `${path}.break`;
  if (!tryCreate(breaker, `${process.pid}\n`)) {
    const b = readLock(breaker);
    if (b && b.ageMs > 10_000) {
      try {
        unlinkSync(breaker);
      } catch {
        /* someone else cleaned it */
      }
    }
    return;
  }
  try {
    const cur = readLock(path);
    if (cur && cur.content === staleContent) unlinkSync(path);
  } finally {
    unlinkSync(breaker);
  }
}

/** Unique enough to tell two acquisitions apart (not a secret; avoids loading node:crypto at startup). */
export function uniqueSuffix(): string {
  return `${process.hrtime.bigint().toString(36)}${Math.floor(Math.random() * 2 ** 32).toString(36)}`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface LockOptions {
  timeoutMs?: number;
  /** Human name for messages ("state file"). */
  what?: string;
}

/** Acquires the lock; resolves with its release function. */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<() => void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const token = `${process.pid} ${selfStartTime()} ${uniqueSuffix()}\n`;
  mkdirSync(dirname(path), { recursive: true });
  const start = Date.now();
  let delay = 2;
  for (;;) {
    if (tryCreate(path, token)) {
      return () => {
        const cur = readLock(path);
        if (cur && cur.content === token) unlinkSync(path);
      };
    }
    const cur = readLock(path);
    if (cur && isStale(cur.content, cur.ageMs)) {
      breakStale(path, cur.content);
      continue;
    }
    if (Date.now() - start > timeoutMs) {
      const holder = cur ? cur.content.split(' ')[0] : 'unknown';
      throw new TkError('state', `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for the lock on the ${opts.what ?? 'file'} (${path}), held by pid ${holder}.`, {
        hint: `If no other tk is running, remove ${path} and retry.`,
      });
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 1.6, 50);
  }
}
