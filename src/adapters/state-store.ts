// JSON state file with a cross-process lock (StateStore).
//
// Lock: Node has no flock, so `<state>.lock` is created with O_EXCL ('wx') and holds
// `{"pid","token","at"}`. A lock is stale when its pid no longer exists or it is older than
// STALE_MS (pid reuse; real holders keep it for milliseconds); a stale lock is removed only if it
// still has the content we judged stale. Waiters retry with jittered backoff up to LOCK_TIMEOUT_MS.
// Writes: tmp file in the same directory, fsync, rename over the state, fsync the directory.
// A corrupt file is copied to `state.json.corrupt-<hash>` and reported; it is never reset.
import { randomBytes, createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open, readFile, rename, unlink, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TkError } from '../core/errors.js';
import { emptyState, parseState, serializeState, StateParseError, type StateFile } from '../core/state.js';
import type { StateStore } from '../ports/state.js';

const STALE_MS = 60_000;
const LOCK_TIMEOUT_MS = 20_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class JsonFileStateStore implements StateStore {
  readonly lockPath: string;
  constructor(readonly path: string) {
    this.lockPath = `${path}.lock`;
  }

  private async acquire(): Promise<() => Promise<void>> {
    await mkdir(dirname(this.path), { recursive: true });
    const token = randomBytes(8).toString('hex');
    const body = JSON.stringify({ pid: process.pid, token, at: Date.now() });
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    let wait = 3;
    for (;;) {
      try {
        const fh = await open(this.lockPath, 'wx', 0o600);
        await fh.writeFile(body);
        await fh.close();
        return async () => {
          try {
            if ((await readFile(this.lockPath, 'utf8')) === body) await unlink(this.lockPath);
          } catch {
            /* already gone */
          }
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new TkError('state', `Cannot create the state lock ${this.lockPath}: ${(e as Error).message}`, { hint: 'Check that the directory is writable.', cause: e });
        }
      }
      await this.breakIfStale();
      if (Date.now() > deadline) {
        throw new TkError('state', `Timed out waiting for the state lock ${this.lockPath}.`, {
          hint: 'Another tk process holds it. If none is running, delete that file.',
        });
      }
      await sleep(wait + Math.random() * wait);
      wait = Math.min(wait * 1.6, 80);
    }
  }

  private async breakIfStale(): Promise<void> {
    let text: string;
    let mtime: number;
    try {
      text = await readFile(this.lockPath, 'utf8');
      mtime = (await stat(this.lockPath)).mtimeMs;
    } catch {
      return;
    }
    let pid = 0;
    try {
      pid = Number((JSON.parse(text) as { pid?: unknown }).pid) || 0;
    } catch {
      // Half-written by a holder that is writing it right now: only stale when old.
      if (Date.now() - mtime < 2_000) return;
    }
    const stale = Date.now() - mtime > STALE_MS || (pid > 0 && !pidAlive(pid)) || (pid === 0 && Date.now() - mtime >= 2_000);
    if (!stale) return;
    try {
      if ((await readFile(this.lockPath, 'utf8')) === text) await unlink(this.lockPath);
    } catch {
      /* someone else broke it */
    }
  }

  private async load(): Promise<StateFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw new TkError('state', `Cannot read the state file ${this.path}: ${(e as Error).message}`, { cause: e });
    }
    try {
      return parseState(text);
    } catch (e) {
      if (!(e instanceof StateParseError)) throw e;
      const backup = `${this.path}.corrupt-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
      if (!existsSync(backup)) copyFileSync(this.path, backup);
      throw new TkError('state', `The state file ${this.path} is corrupt: ${e.message}. A copy is saved as ${backup}.`, {
        hint: 'Repair the file by hand, or move it away to start with an empty state (tk never resets it on its own).',
      });
    }
  }

  private async write(s: StateFile): Promise<void> {
    const tmp = `${this.path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(serializeState(s));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    try {
      const d = await open(dirname(this.path), 'r');
      await d.sync().catch(() => undefined);
      await d.close();
    } catch {
      /* directory fsync is best effort (not supported everywhere) */
    }
  }

  async read(): Promise<StateFile> {
    return this.load();
  }

  async update<T>(fn: (state: StateFile) => T | Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      const s = await this.load();
      const result = await fn(s);
      await this.write(s);
      return result;
    } finally {
      await release();
    }
  }
}

/**
 * First run: imports the Rust tachikoma's state.json and config.toml into tk's files when tk has
 * none yet. Reads only; never writes tachikoma's files. Returns what it did, for the user.
 */
export function importTachikoma(opts: { legacyDir: string; statePath: string; configPath: string }): string[] {
  const notes: string[] = [];
  const legacyConfig = `${opts.legacyDir}/config.toml`;
  if (!existsSync(opts.configPath) && existsSync(legacyConfig)) {
    mkdirSync(dirname(opts.configPath), { recursive: true });
    copyFileSync(legacyConfig, opts.configPath);
    notes.push(`Imported tachikoma's config ${legacyConfig} into ${opts.configPath}.`);
  }
  const legacyState = `${opts.legacyDir}/state.json`;
  if (!existsSync(opts.statePath) && existsSync(legacyState)) {
    try {
      const parsed = parseState(readFileSync(legacyState, 'utf8'));
      mkdirSync(dirname(opts.statePath), { recursive: true });
      const body = serializeState(parsed);
      // 'wx': never clobber a state another tk wrote meanwhile.
      try {
        writeFileSync(opts.statePath, body, { flag: 'wx', mode: 0o600 });
        notes.push(`Imported ${parsed.vms.length} VM record(s) from tachikoma's ${legacyState}${parsed.vms.length ? `: ${parsed.vms.map((v) => v.name).join(', ')}` : ''}.`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    } catch (e) {
      notes.push(`Could not import tachikoma's ${legacyState}: ${(e as Error).message}. It was left untouched.`);
    }
  }
  return notes;
}
