// Helpers shared by the sim-cli commands (not by run/exec, which may use them too).
import { writeOut, writeErr } from '../io.js';
import { existsSync, statSync } from 'node:fs';
import { parseCommand, type CommandSpec, type Parsed } from '../args.js';
import { gcTmp, isCompleteDir, touchDir, vmDir, configPath, diskPath, nvramPath } from '../home.js';
import { vmDoesNotExist, vmMissingFiles } from '../errors.js';

/** Parse argv, then garbage-collect $TART_HOME/tmp like Tart does before every command but pull/clone. */
export function begin(spec: CommandSpec, argv: readonly string[], opts: { gc?: boolean } = {}): Parsed {
  const parsed = parseCommand(spec, argv);
  if (opts.gc !== false) {
    try {
      gcTmp();
    } catch (e) {
      writeErr(`Failed to perform garbage collection: ${(e as Error).message}\n`);
    }
  }
  return parsed;
}

export function out(text: string): void {
  writeOut(text);
}

/** VMStorageLocal.open: missing dir -> VMDoesNotExist (2); incomplete -> VMMissingFiles (1); bumps the access date. */
export function openLocal(name: string, opts: { touch?: boolean } = {}): string {
  const dir = vmDir(name);
  if (!existsSync(dir)) throw vmDoesNotExist(name);
  if (!isCompleteDir(dir)) throw vmMissingFiles();
  if (opts.touch !== false) touchDir(dir);
  return dir;
}

/** Logical bytes of config + disk + nvram (Tart's sizeBytes). */
export function sizeBytes(dir: string): number {
  let total = 0;
  for (const p of [configPath(dir), diskPath(dir), nvramPath(dir)]) {
    try {
      total += statSync(p).size;
    } catch {
      /* missing file counts as 0 */
    }
  }
  return total;
}

/** Allocated bytes of config + disk + nvram (st_blocks * 512; Tart's allocatedSizeBytes). */
export function allocatedBytes(dir: string): number {
  let total = 0;
  for (const p of [configPath(dir), diskPath(dir), nvramPath(dir)]) {
    try {
      total += statSync(p).blocks * 512;
    } catch {
      /* missing */
    }
  }
  return total;
}

/** One stat per file: logical and allocated bytes of config + disk + nvram; null when a file is missing. */
export function vmSizes(dir: string): { size: number; allocated: number } | null {
  let size = 0;
  let allocated = 0;
  for (const p of [configPath(dir), diskPath(dir), nvramPath(dir)]) {
    let st;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch {
      return null; // e.g. ENOTDIR: a stray file in vms/
    }
    if (!st) return null;
    size += st.size;
    allocated += st.blocks * 512;
  }
  return { size, allocated };
}

export const gb = (bytes: number): number => Math.trunc(bytes / 1e9);

/** TextTable "plain" style: header + rows, left-aligned, single-space joined, whole string trimmed. */
export function textTable(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '';
  const cells = rows.map((r) => columns.map((c) => String(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (vals: string[]): string => vals.map((v, i) => v.padEnd(widths[i] as number)).join(' ');
  return [line(columns), ...cells.map(line)].join('\n').trim();
}

/** RelativeDateTimeFormatter (.full units, numeric style, en_US): "3 minutes ago", "in 0 seconds". */
export function relativeTime(date: Date, now: Date = new Date()): string {
  const diffMs = date.getTime() - now.getTime();
  const past = diffMs < 0;
  const secs = Math.trunc(Math.abs(diffMs) / 1000);
  const a = past ? now : date;
  const b = past ? date : now;
  let months = (a.getUTCFullYear() - b.getUTCFullYear()) * 12 + (a.getUTCMonth() - b.getUTCMonth());
  if (months > 0) {
    const shifted = new Date(b.getTime());
    shifted.setUTCMonth(shifted.getUTCMonth() + months);
    if (shifted.getTime() > a.getTime()) months--;
  }
  let value: number;
  let unit: string;
  if (months >= 12) [value, unit] = [Math.trunc(months / 12), 'year'];
  else if (months >= 1) [value, unit] = [months, 'month'];
  else if (secs >= 7 * 86400) [value, unit] = [Math.trunc(secs / (7 * 86400)), 'week'];
  else if (secs >= 86400) [value, unit] = [Math.trunc(secs / 86400), 'day'];
  else if (secs >= 3600) [value, unit] = [Math.trunc(secs / 3600), 'hour'];
  else if (secs >= 60) [value, unit] = [Math.trunc(secs / 60), 'minute'];
  else [value, unit] = [secs, 'second'];
  const phrase = `${value} ${unit}${value === 1 ? '' : 's'}`;
  return past && value !== 0 ? `${phrase} ago` : `in ${phrase}`;
}

/** ISO8601DateFormatter: UTC, no fractional seconds. */
export function isoDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
