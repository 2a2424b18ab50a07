// JSON state file (StateStore): cross-process lock for every read-modify-write, atomic replace
// (tmp + fsync + rename + directory fsync), corrupt files backed up and reported, never reset.
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TkError } from '../core/errors.js';
import { emptyState, parseState, serializeState, type TkState } from '../core/state.js';
import type { StateStore } from '../ports/state-store.js';
import { acquireLock, uniqueSuffix } from './file-lock.js';
import type { TkPaths } from './paths.js';

/** Writes `path` atomically: a reader sees the old or the new content, never a mix. */
export function writeFileAtomic(path: string, content: string, mode = 0o600): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${uniqueSuffix()}`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* directory fsync is best effort (not supported everywhere) */
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new TkError('state', `Cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Parses, or backs the corrupt file up (once per distinct content) and throws with the backup's path. */
async function parseOrBackup(path: string, text: string): Promise<TkState> {
  try {
    return parseState(text, path);
  } catch (e) {
    if (!(e instanceof TkError) || !/corrupt/.test(e.message)) throw e;
    const { createHash } = await import('node:crypto');
    const backup = `${path}.corrupt-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
    if (!existsSync(backup)) copyFileSync(path, backup);
    throw new TkError('state', e.message, {
      hint: `A copy is at ${backup}. Repair ${path} by hand, or move it away to start with an empty state (tk never resets it on its own).`,
    });
  }
}

export interface StateStoreOptions {
  paths: Pick<TkPaths, 'stateFile' | 'stateLock' | 'importMarker' | 'configFile' | 'home'>;
  /** The Rust tool's directory, or null for no import. */
  tachikomaDir: string | null;
  lockTimeoutMs?: number;
}

export class JsonFileStateStore implements StateStore {
  readonly notices: string[] = [];
  private imported = false;
  /** Serialises this process's own updates (the file lock serialises processes). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: StateStoreOptions) {}

  private get file(): string {
    return this.opts.paths.stateFile;
  }

  private async importOnce(): Promise<void> {
    if (this.imported) return;
    this.imported = true;
    if (!this.opts.tachikomaDir || existsSync(this.opts.paths.importMarker)) return;
    const notes = await importTachikoma(this.opts.paths, this.opts.tachikomaDir, this.opts.lockTimeoutMs);
    this.notices.push(...notes);
  }

  async read(): Promise<TkState> {
    await this.importOnce();
    const text = readText(this.file);
    return text === null ? emptyState() : await parseOrBackup(this.file, text);
  }

  update<T>(fn: (state: TkState) => T | Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      await this.importOnce();
      const release = await acquireLock(this.opts.paths.stateLock, { what: 'state file', timeoutMs: this.opts.lockTimeoutMs });
      try {
        const text = readText(this.file);
        const state = text === null ? emptyState() : await parseOrBackup(this.file, text);
        const before = text === null ? null : serializeState(state);
        const result = await fn(state);
        const after = serializeState(state);
        if (after !== before) writeFileAtomic(this.file, after);
        return result;
      } finally {
        release();
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }
}

/**
 * One-time import of the Rust tool's state.json and config.toml (read only; never written).
 * Runs under the state lock; a marker in TK_HOME records that it happened.
 */
export async function importTachikoma(
  paths: Pick<TkPaths, 'stateFile' | 'stateLock' | 'importMarker' | 'configFile'>,
  dir: string,
  lockTimeoutMs?: number,
): Promise<string[]> {
  const notes: string[] = [];
  const release = await acquireLock(paths.stateLock, { what: 'state file', timeoutMs: lockTimeoutMs });
  try {
    if (existsSync(paths.importMarker)) return notes;
    const srcState = join(dir, 'state.json');
    const srcConfig = join(dir, 'config.toml');
    const record: Record<string, string | number | null> = { at: new Date().toISOString(), from: dir, state: null, config: null };
    const legacy = readText(srcState);
    if (legacy !== null && !existsSync(paths.stateFile)) {
      try {
        const parsed = parseState(legacy, srcState);
        writeFileAtomic(paths.stateFile, serializeState(parsed));
        record['state'] = parsed.vms.length;
        notes.push(`Imported ${parsed.vms.length} VM record(s) from tachikoma's ${srcState} into ${paths.stateFile} (the original is untouched).`);
      } catch (e) {
        if (!(e instanceof TkError)) throw e;
        notes.push(`Did not import tachikoma's ${srcState}: ${e.message}`);
      }
    }
    const cfg = existsSync(srcConfig) ? readFileSync(srcConfig, 'utf8') : null;
    if (cfg !== null && !existsSync(paths.configFile)) {
      writeFileAtomic(paths.configFile, cfg, 0o644);
      record['config'] = paths.configFile;
      notes.push(`Imported tachikoma's config ${srcConfig} as ${paths.configFile} (the original is untouched).`);
    }
    writeFileAtomic(paths.importMarker, JSON.stringify(record, null, 2) + '\n');
    return notes;
  } finally {
    release();
  }
}

export function openStateStore(opts: StateStoreOptions): JsonFileStateStore {
  return new JsonFileStateStore(opts);
}
