// The state file: pure parse/serialize and mutations. I/O and locking live in src/adapters/state-store.ts.
//
// Format: `{"version": 2, "vms": [VmRecord…]}`, pretty-printed (2 spaces). Version 2 = tachikoma's
// version 1 (same `vms` entries, same field order and meaning) plus optional tk fields per entry
// (`repo_root`, `base_image`, `os`, `provision`). tk reads versions 1 and 2, writes 2; a version it
// does not know is refused (never rewritten), so an older tk cannot destroy a newer file.
import { TkError } from './errors.js';
import type { StoredStatus, VmRecord } from './model.js';

export const STATE_VERSION = 2;
export const READABLE_VERSIONS = [1, 2] as const;

export interface StateFile {
  version: number;
  vms: VmRecord[];
}

export function emptyState(): StateFile {
  return { version: STATE_VERSION, vms: [] };
}

const STATUSES: readonly StoredStatus[] = ['running', 'suspended', 'stopped'];

export class StateParseError extends Error {}

function str(v: unknown, field: string, i: number): string {
  if (typeof v !== 'string') throw new StateParseError(`vms[${i}].${field} must be a string`);
  return v;
}

/** Parses and validates. Throws StateParseError (the store turns it into a TkError with the path). */
export function parseState(text: string): StateFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new StateParseError(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new StateParseError('top level must be an object');
  const o = raw as Record<string, unknown>;
  if (typeof o.version !== 'number') throw new StateParseError('missing "version"');
  if (!(READABLE_VERSIONS as readonly number[]).includes(o.version)) {
    throw new StateParseError(`version ${o.version} is newer than this tk understands (reads ${READABLE_VERSIONS.join(', ')})`);
  }
  if (!Array.isArray(o.vms)) throw new StateParseError('"vms" must be an array');
  const vms = o.vms.map((v: unknown, i: number): VmRecord => {
    if (typeof v !== 'object' || v === null) throw new StateParseError(`vms[${i}] must be an object`);
    const r = v as Record<string, unknown>;
    str(r.name, 'name', i);
    const status = str(r.status, 'status', i);
    if (!STATUSES.includes(status as StoredStatus)) throw new StateParseError(`vms[${i}].status '${status}' is not running|suspended|stopped`);
    if (r.ip !== null && r.ip !== undefined && typeof r.ip !== 'string') throw new StateParseError(`vms[${i}].ip must be a string or null`);
    // Keep unknown/extra fields (written by a newer tk or by tachikoma) verbatim.
    return {
      ...(r as object),
      name: str(r.name, 'name', i),
      repo: str(r.repo, 'repo', i),
      branch: str(r.branch, 'branch', i),
      worktree_path: str(r.worktree_path, 'worktree_path', i),
      created_at: str(r.created_at, 'created_at', i),
      last_used: str(r.last_used, 'last_used', i),
      status: status as StoredStatus,
      ip: (r.ip as string | null | undefined) ?? null,
    } as VmRecord;
  });
  return { version: o.version, vms };
}

/** Serialises with tachikoma's field order first, then tk's additions. */
export function serializeState(s: StateFile): string {
  const order = ['name', 'repo', 'branch', 'worktree_path', 'created_at', 'last_used', 'status', 'ip'];
  const vms = s.vms.map((v) => {
    const out: Record<string, unknown> = {};
    for (const k of order) out[k] = (v as unknown as Record<string, unknown>)[k] ?? null;
    for (const [k, val] of Object.entries(v)) if (!(k in out) && val !== undefined) out[k] = val;
    return out;
  });
  return JSON.stringify({ version: STATE_VERSION, vms }, null, 2) + '\n';
}

export function findVm(s: StateFile, name: string): VmRecord | undefined {
  return s.vms.find((v) => v.name === name);
}

/** Inserts or replaces (by name). */
export function upsertVm(s: StateFile, rec: VmRecord): void {
  const i = s.vms.findIndex((v) => v.name === rec.name);
  if (i >= 0) s.vms[i] = rec;
  else s.vms.push(rec);
}

/** Applies a patch to an existing record; returns it, or undefined when absent. */
export function patchVm(s: StateFile, name: string, patch: Partial<VmRecord>): VmRecord | undefined {
  const rec = findVm(s, name);
  if (!rec) return undefined;
  Object.assign(rec, patch);
  return rec;
}

export function removeVm(s: StateFile, name: string): boolean {
  const before = s.vms.length;
  s.vms = s.vms.filter((v) => v.name !== name);
  return s.vms.length !== before;
}

/** Merges tachikoma records into tk's state: adds those whose name tk does not have yet. */
export function importRecords(s: StateFile, legacy: StateFile): string[] {
  const added: string[] = [];
  for (const v of legacy.vms) {
    if (!findVm(s, v.name)) {
      s.vms.push({ ...v });
      added.push(v.name);
    }
  }
  return added;
}

export function vmNotFound(name: string): TkError {
  return new TkError('vm', `VM '${name}' not found in tk's state.`, { hint: 'See `tk list` for the known VMs, or create it with `tk spawn <branch>`.' });
}
