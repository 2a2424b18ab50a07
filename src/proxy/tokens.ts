// Per-VM proxy tokens: random, stored host-side in $TK_HOME/proxy/tokens.json (0600, atomic write).
// The running proxy checks the file's identity (ino/mtime/size) on each request and reloads it
// when it changed, so a revoked token stops working at once.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, fsyncSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TkError } from '../core/errors.js';

export interface TokenFile {
  version: 1;
  tokens: Record<string, { token: string; created: string }>;
}

export function proxyDir(home: string): string {
  return join(home, 'proxy');
}
export function tokensPath(home: string): string {
  return join(proxyDir(home), 'tokens.json');
}

/** Short, non-secret id of a token store (which TK_HOME a running proxy serves; shown in /health). */
export function storeId(home: string): string {
  return createHash('sha256').update(resolve(tokensPath(home))).digest('hex').slice(0, 16);
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

const hash = (token: string): string => createHash('sha256').update(token).digest('hex');

function readTokenFile(file: string): TokenFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, tokens: {} };
    throw e;
  }
  try {
    const parsed = JSON.parse(text) as Partial<TokenFile>;
    const tokens: TokenFile['tokens'] = {};
    for (const [vm, v] of Object.entries(parsed.tokens ?? {})) {
      if (v && typeof v.token === 'string' && v.token.length >= 32) tokens[vm] = { token: v.token, created: String(v.created ?? '') };
    }
    return { version: 1, tokens };
  } catch {
    throw new TkError('proxy', `The proxy token store ${file} is not valid JSON.`, { hint: 'Delete it; VMs get new tokens when they are provisioned again.' });
  }
}

function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeFileSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Serialises read-modify-write across tk processes with an O_EXCL lock file (stale after 10 s). */
function withLock<T>(dir: string, fn: () => T): T {
  const lock = join(dir, 'tokens.lock');
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 10_000) rmSync(lock, { force: true });
      } catch {
        /* vanished meanwhile */
      }
      if (Date.now() > deadline) {
        throw new TkError('proxy', `The proxy token store is locked (${lock}).`, { hint: 'Another tk is issuing a token; retry. If none is running, delete the lock file.' });
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Host-side store used by tk (control) to issue and revoke tokens. */
export class TokenStore {
  constructor(private readonly home: string) {}

  private ensureDir(): string {
    const dir = proxyDir(this.home);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** The VM's token; created on first use, the same afterwards (re-provisioning keeps it). */
  issue(vm: string): string {
    const dir = this.ensureDir();
    return withLock(dir, () => {
      const file = tokensPath(this.home);
      const data = readTokenFile(file);
      const existing = data.tokens[vm];
      if (existing) return existing.token;
      const token = newToken();
      data.tokens[vm] = { token, created: new Date().toISOString() };
      writeAtomic(file, JSON.stringify(data, null, 2) + '\n');
      return token;
    });
  }

  revoke(vm: string): boolean {
    const dir = this.ensureDir();
    return withLock(dir, () => {
      const file = tokensPath(this.home);
      const data = readTokenFile(file);
      if (!data.tokens[vm]) return false;
      delete data.tokens[vm];
      writeAtomic(file, JSON.stringify(data, null, 2) + '\n');
      return true;
    });
  }

  list(): string[] {
    return Object.keys(readTokenFile(tokensPath(this.home)).tokens).sort();
  }
}

/** Read side used by the running proxy: token -> VM name, reloaded when the file changes. */
export class TokenTable {
  private byHash = new Map<string, string>();
  private stamp = '';

  constructor(private readonly file: string, private readonly log: (line: string) => void = () => {}) {
    this.refresh();
  }

  private refresh(): void {
    let st;
    try {
      st = statSync(this.file, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    const stamp = st ? `${st.ino}:${st.mtimeMs}:${st.size}` : 'none';
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    const next = new Map<string, string>();
    try {
      if (st) {
        try {
          chmodSync(this.file, 0o600);
        } catch {
          /* not ours to fix */
        }
        for (const [vm, v] of Object.entries(readTokenFile(this.file).tokens)) next.set(hash(v.token), vm);
      }
    } catch (e) {
      this.log(`token store unreadable, all tokens rejected until it is fixed: ${(e as Error).message}`);
    }
    this.byHash = next;
  }

  /** VM name for a presented token, or undefined. Hash lookup: no timing side channel on the token. */
  vmFor(token: string | undefined): string | undefined {
    if (!token) return undefined;
    this.refresh();
    return this.byHash.get(hash(token));
  }

  get size(): number {
    this.refresh();
    return this.byHash.size;
  }
}
