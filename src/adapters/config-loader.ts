// Reads the config layers (global, repo `.tachikoma.toml`, `.tachikoma.local.toml`), parses TOML
// (smol-toml), consults the trust store and resolves through src/core/config.ts.
// The repository is located without running git (walk up to `.git`, follow a linked worktree's
// `gitdir:` to the common dir), so loading config costs no process.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { resolveConfig, type ConfigLayer, type LayerKind, type ResolvedConfig } from '../core/config.js';
import { TkError } from '../core/errors.js';
import type { TkPaths } from './paths.js';

export interface RepoRoots {
  /** Root of the worktree containing cwd. */
  worktreeRoot: string;
  /** Main repository root (owner of the common .git dir). */
  mainRoot: string;
}

/** Finds the enclosing repository by walking up to `.git`. null outside a repository. */
export function findRepoRoots(cwd: string): RepoRoots | null {
  let dir = resolve(cwd);
  for (;;) {
    const dotgit = join(dir, '.git');
    let st;
    try {
      st = statSync(dotgit);
    } catch {
      st = null;
    }
    if (st?.isDirectory()) return { worktreeRoot: dir, mainRoot: dir };
    if (st?.isFile()) {
      let mainRoot = dir;
      try {
        const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotgit, 'utf8'));
        if (m?.[1]) {
          const gitdir = resolve(dir, m[1]);
          const common = existsSync(join(gitdir, 'commondir')) ? resolve(gitdir, readFileSync(join(gitdir, 'commondir'), 'utf8').trim()) : gitdir;
          if (basename(common) === '.git') mainRoot = dirname(common);
        }
      } catch {
        /* unreadable: treat the worktree as its own root */
      }
      return { worktreeRoot: dir, mainRoot };
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function readLayer(kind: LayerKind, file: string, baseDir: string): ConfigLayer | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new TkError('config', `Cannot read ${kind} config ${file}: ${(e as Error).message}`, { hint: 'Check the file permissions.' });
  }
  try {
    return { kind, file, baseDir, text, table: parse(text) as Record<string, unknown> };
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split('\n')[0] ?? e.message;
      throw new TkError('config', `${file}:${e.line}:${e.column}: invalid TOML: ${first}`, { hint: 'Fix the syntax at that line.' });
    }
    throw e;
  }
}

/** Content hash of the repo-writable files (absent and empty differ). */
export function repoFilesHash(worktreeRoot: string): string {
  const h = createHash('sha256');
  for (const f of ['.tachikoma.toml', '.tachikoma.local.toml']) {
    const p = join(worktreeRoot, f);
    if (existsSync(p)) h.update(`present:${f}\0`).update(readFileSync(p)).update('\0');
    else h.update(`absent:${f}\0`);
  }
  return h.digest('hex');
}

interface TrustStore {
  version: 1;
  repos: Record<string, { hashes: string[]; trusted_at: string }>;
}

function readTrust(path: string): TrustStore {
  try {
    const t = JSON.parse(readFileSync(path, 'utf8')) as TrustStore;
    if (t && typeof t === 'object' && t.repos && typeof t.repos === 'object') return t;
  } catch {
    /* missing or unreadable: nothing trusted */
  }
  return { version: 1, repos: {} };
}

function writeTrust(path: string, t: TrustStore): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, JSON.stringify(t, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

export function isTrusted(paths: TkPaths, roots: RepoRoots): boolean {
  const entry = readTrust(paths.trust).repos[roots.mainRoot];
  return !!entry && entry.hashes.includes(repoFilesHash(roots.worktreeRoot));
}

/** Trusts the current content of the repo files of this worktree. */
export function trustRepo(paths: TkPaths, roots: RepoRoots): string {
  const t = readTrust(paths.trust);
  const hash = repoFilesHash(roots.worktreeRoot);
  const e = t.repos[roots.mainRoot] ?? { hashes: [], trusted_at: '' };
  e.hashes = [hash, ...e.hashes.filter((h) => h !== hash)].slice(0, 32);
  e.trusted_at = new Date().toISOString();
  t.repos[roots.mainRoot] = e;
  writeTrust(paths.trust, t);
  return hash;
}

export function untrustRepo(paths: TkPaths, roots: RepoRoots): boolean {
  const t = readTrust(paths.trust);
  if (!t.repos[roots.mainRoot]) return false;
  delete t.repos[roots.mainRoot];
  writeTrust(paths.trust, t);
  return true;
}

export interface LoadedConfig extends ResolvedConfig {
  layers: ConfigLayer[];
  roots: RepoRoots | null;
  trusted: boolean;
}

export function loadConfig(opts: { paths: TkPaths; cwd: string; env?: NodeJS.ProcessEnv }): LoadedConfig {
  const env = opts.env ?? process.env;
  const layers: ConfigLayer[] = [];
  const g = readLayer('global', opts.paths.config, dirname(opts.paths.config));
  if (g) layers.push(g);
  const roots = findRepoRoots(opts.cwd);
  if (roots) {
    const r = readLayer('repo', join(roots.worktreeRoot, '.tachikoma.toml'), roots.worktreeRoot);
    if (r) layers.push(r);
    const l = readLayer('local', join(roots.worktreeRoot, '.tachikoma.local.toml'), roots.worktreeRoot);
    if (l) layers.push(l);
  }
  const hasRepoLayer = layers.some((l) => l.kind !== 'global');
  const trusted = hasRepoLayer && roots !== null && isTrusted(opts.paths, roots);
  const resolved = resolveConfig(layers, { trustedRepo: trusted, home: env.HOME || homedir() });
  if (resolved.config.worktree_dir && !isAbsolute(resolved.config.worktree_dir) && roots) {
    resolved.config.worktree_dir = resolve(roots.mainRoot, resolved.config.worktree_dir);
  }
  return { ...resolved, layers, roots, trusted };
}

/** The tart binary: env TK_TART, else config `tart_path`, else `tart` on PATH. */
export function tartBinary(config: { tart_path: string | null }, env: NodeJS.ProcessEnv = process.env): string {
  return env.TK_TART || config.tart_path || 'tart';
}
