// PID file of the proxy daemon: $TK_HOME/proxy/proxy.pid, JSON {pid, start, bind, port, started}.
// `start` is the kernel's start time of the process (/proc/<pid>/stat field 22 on Linux,
// `ps -o lstart=` on macOS), so a PID reused by another process never passes for the proxy.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { proxyDir } from './tokens.js';

export interface PidInfo {
  pid: number;
  /** Process start identity (see processStart). */
  start: string;
  bind: string;
  port: number;
  /** ISO time the proxy started listening. */
  started: string;
}

export function pidPath(home: string): string {
  return join(proxyDir(home), 'proxy.pid');
}

/** An opaque, stable identity of a live process's start, or undefined if it does not exist. */
export function processStart(pid: number, platform: NodeJS.Platform = process.platform): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is field 3 (state); starttime is field 22.
      if (fields[0] === 'Z') return undefined;
      return fields[19];
    } catch {
      return undefined;
    }
  }
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

export type PidState =
  | { state: 'absent' }
  | { state: 'invalid'; detail: string }
  | { state: 'stale'; info: PidInfo }
  | { state: 'running'; info: PidInfo };

export function readPidFile(home: string): PidState {
  let text: string;
  try {
    text = readFileSync(pidPath(home), 'utf8');
  } catch {
    return { state: 'absent' };
  }
  let info: PidInfo;
  try {
    const o = JSON.parse(text) as Partial<PidInfo>;
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0 || typeof o.start !== 'string') throw new Error('fields');
    info = { pid: o.pid, start: o.start, bind: String(o.bind ?? ''), port: Number(o.port ?? 0), started: String(o.started ?? '') };
  } catch {
    return { state: 'invalid', detail: text.trim().slice(0, 80) };
  }
  return processStart(info.pid) === info.start ? { state: 'running', info } : { state: 'stale', info };
}

/** Create the PID file for this process; fails with EEXIST if another one is there (caller removed stale ones). */
export function writeOwnPidFile(home: string, bind: string, port: number): PidInfo {
  const dir = proxyDir(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info: PidInfo = { pid: process.pid, start: processStart(process.pid) ?? '', bind, port, started: new Date().toISOString() };
  const fd = openSync(pidPath(home), 'wx', 0o600);
  try {
    writeFileSync(fd, JSON.stringify(info) + '\n');
  } finally {
    closeSync(fd);
  }
  return info;
}

/** Remove the PID file only if it still names this process. */
export function removeOwnPidFile(home: string): void {
  const s = readPidFile(home);
  if ((s.state === 'running' || s.state === 'stale') && s.info.pid === process.pid) rmSync(pidPath(home), { force: true });
}

export function removePidFile(home: string): void {
  rmSync(pidPath(home), { force: true });
}
