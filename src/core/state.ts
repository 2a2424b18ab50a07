// The state file: tachikoma schema version 1 (`{version, vms: [...]}`), read and written by tk as
// version 2 (same shape; tk's extra VmRecord fields are ignored by the Rust tool). Pure.
import { TkError } from './errors.js';
import type { ProvisionRecord, StoredStatus, VmRecord } from './model.js';

export const STATE_VERSION = 2;
const READABLE_VERSIONS = new Set([1, 2]);

export interface TkState {
  version: number;
  vms: VmRecord[];
}

export function emptyState(): TkState {
  return { version: STATE_VERSION, vms: [] };
}

const STATUSES: readonly StoredStatus[] = ['running', 'suspended', 'stopped'];

function fail(file: string, what: string): never {
  throw new TkError('state', `The state file ${file} is corrupt: ${what}.`, {
    hint: 'tk has not changed it. Fix it by hand, or move it away to start with an empty state (tk keeps a backup next to it).',
  });
}

function str(v: unknown, file: string, where: string): string {
  if (typeof v !== 'string') fail(file, `${where} must be a string`);
  return v;
}

/** Parses state.json text (any readable version) into tk's in-memory form. Throws TkError('state'). */
export function parseState(text: string, file: string): TkState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(file, `not valid JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(file, 'the top level must be an object');
  const obj = raw as Record<string, unknown>;
  const version = obj['version'];
  if (typeof version !== 'number') fail(file, '"version" is missing');
  if (!READABLE_VERSIONS.has(version)) {
    throw new TkError('state', `The state file ${file} has version ${version}, which this tk cannot read.`, {
      hint: 'It was written by a newer tk: upgrade tk.',
    });
  }
  if (!Array.isArray(obj['vms'])) fail(file, '"vms" must be an array');
  const vms = (obj['vms'] as unknown[]).map((v, i) => parseVm(v, file, i));
  return { version, vms };
}

function parseVm(v: unknown, file: string, i: number): VmRecord {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(file, `vms[${i}] must be an object`);
  const o = v as Record<string, unknown>;
  const at = (k: string) => `vms[${i}].${k}`;
  const status = o['status'];
  if (typeof status !== 'string' || !STATUSES.includes(status as StoredStatus)) fail(file, `${at('status')} must be running, suspended or stopped`);
  const ip = o['ip'];
  if (ip !== null && ip !== undefined && typeof ip !== 'string') fail(file, `${at('ip')} must be a string or null`);
  // Keep unknown fields (a newer tk, or the Rust tool's additions) so a rewrite loses nothing.
  const rec: VmRecord = {
    ...(o as object),
    name: str(o['name'], file, at('name')),
    repo: str(o['repo'], file, at('repo')),
    branch: str(o['branch'], file, at('branch')),
    worktree_path: str(o['worktree_path'], file, at('worktree_path')),
    created_at: str(o['created_at'], file, at('created_at')),
    last_used: str(o['last_used'], file, at('last_used')),
    status: status as StoredStatus,
    ip: (ip as string | null | undefined) ?? null,
  } as VmRecord;
  if (o['provision'] !== undefined) rec.provision = o['provision'] as ProvisionRecord;
  return rec;
}

/** Pretty JSON, 2-space indent, tachikoma's field order first. */
export function serializeState(state: TkState): string {
  const vms = state.vms.map((r) => {
    const { name, repo, branch, worktree_path, created_at, last_used, status, ip, ...rest } = r;
    return { name, repo, branch, worktree_path, created_at, last_used, status, ip, ...rest };
  });
  return JSON.stringify({ version: STATE_VERSION, vms }, null, 2) + '\n';
}

export function findVm(state: TkState, name: string): VmRecord | undefined {
  return state.vms.find((v) => v.name === name);
}

/** Inserts or replaces (by name). */
export function upsertVm(state: TkState, rec: VmRecord): void {
  const i = state.vms.findIndex((v) => v.name === rec.name);
  if (i >= 0) state.vms[i] = rec;
  else state.vms.push(rec);
}

export function removeVm(state: TkState, name: string): boolean {
  const i = state.vms.findIndex((v) => v.name === name);
  if (i < 0) return false;
  state.vms.splice(i, 1);
  return true;
}
