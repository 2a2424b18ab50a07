// Loads the layered TOML config (global < repo .tachikoma.toml < .tachikoma.local.toml), with the
// trust store for repository files. Finds the repository by walking up from cwd (no git process:
// `tk list` stays fast); the main repository is found through a linked worktree's `.git` file.
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { resolveConfig, type Config, type ConfigLayer, type LayerKind, type ResolvedConfig } from '../core/config.js';
import { TkError } from '../core/errors.js';
import { DEFAULT_ALLOW, resolveProxyConfig, type ProxyConfig } from '../proxy/config.js';
import { tachikomaDir, tkPaths, type TkPaths } from './paths.js';
import { importTachikoma, writeFileAtomic } from './state-store.js';
import { checkWorktreeLink } from './worktree-link.js';

export const REPO_FILE = '.tachikoma.toml';
export const LOCAL_FILE = '.tachikoma.local.toml';

export interface RepoRoots {
  /** The checkout containing cwd (where the repo config files are read). */
  worktreeRoot: string;
  /** The main repository (trust key, repo name). */
  mainRoot: string;
}

/** Walks up from cwd to the checkout root; resolves a linked worktree to its main repository. */
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
      // The .git file is guest-writable: take its repository only when linked both ways; else
      // the checkout is its own trust key (nothing trusted), never another repository's.
      const link = checkWorktreeLink(dir);
      return { worktreeRoot: dir, mainRoot: link.kind === 'refused' ? dir : link.mainRoot };
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

function readMaybe(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new TkError('config', `Cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
}

export const MAX_REPO_CONFIG_BYTES = 1024 * 1024;

/**
 * A repository config file (.tachikoma.toml / .tachikoma.local.toml). The VMs can write the
 * worktree, so the file may be a FIFO (reading would block tk forever), a device or a huge file,
 * or a symlink to some host file. Only a regular file of sane size is read; anything else is
 * ignored, with the reason in `problem`.
 */
export function readRepoFile(file: string): { text: string | null; problem?: string } {
  let st;
  try {
    st = lstatSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { text: null };
    return { text: null, problem: `${file} cannot be read (${(e as Error).message}); ignored.` };
  }
  if (!st.isFile()) return { text: null, problem: `${file} is not a regular file (${st.isSymbolicLink() ? 'a symlink' : 'a special file'}); tk ignores it. Replace it with a regular file.` };
  if (st.size > MAX_REPO_CONFIG_BYTES) return { text: null, problem: `${file} is larger than ${MAX_REPO_CONFIG_BYTES} bytes; tk ignores it.` };
  let fd: number | null = null;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const fst = fstatSync(fd);
    if (!fst.isFile() || fst.size > MAX_REPO_CONFIG_BYTES) return { text: null, problem: `${file} changed into something that is not a small regular file; tk ignores it.` };
    return { text: readFileSync(fd, 'utf8') };
  } catch (e) {
    return { text: null, problem: `${file} cannot be read (${(e as Error).message}); ignored.` };
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** 1-based line of a top-level key (or `[key]` table header) in TOML text. */
export function lineFinder(text: string): (key: string) => number | undefined {
  const lines = text.split(/\r?\n/);
  return (key: string) => {
    const esc = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const assign = new RegExp(`^\\s*(?:${esc}|"${esc}"|'${esc}')\\s*=`);
    const header = new RegExp(`^\\s*\\[\\s*(?:${esc}|"${esc}")\\s*[\\].]`);
    let inTable = false;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i] as string;
      if (header.test(l)) return i + 1;
      if (/^\s*\[/.test(l)) inTable = true;
      if (!inTable && assign.test(l)) return i + 1;
    }
    return undefined;
  };
}

type TomlParse = (text: string) => unknown;
let tomlParse: TomlParse | null = null;

/** Loads the TOML parser (only when there is a file to parse: `tk list` without config skips it). */
export async function loadToml(): Promise<TomlParse> {
  tomlParse ??= (await import('smol-toml')).parse as TomlParse;
  return tomlParse;
}

export async function parseLayer(kind: LayerKind, file: string, text: string, trusted: boolean): Promise<ConfigLayer> {
  return parseLayerWith(await loadToml(), kind, file, text, trusted);
}

export function parseLayerWith(parseToml: TomlParse, kind: LayerKind, file: string, text: string, trusted: boolean): ConfigLayer {
  let data: Record<string, unknown>;
  try {
    data = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    const err = e as { line?: number; column?: number; message?: string };
    const first = (err.message ?? String(e)).split('\n')[0];
    throw new TkError('config', `Invalid TOML in ${file}${err.line ? ` at line ${err.line}, column ${err.column}` : ''}: ${first}`, {
      hint: `Fix the syntax in ${file}.`,
      cause: e,
    });
  }
  return { kind, file, data, trusted, lineOf: lineFinder(text) };
}

// ---- trust store ------------------------------------------------------------------------------

interface TrustFile {
  version: 1;
  repos: Record<string, { sha256: string; trusted_at: string }>;
}

/** Hash of both repo files' contents (absent files count too): any edit revokes trust. */
export async function repoConfigHash(worktreeRoot: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const h = createHash('sha256');
  for (const f of [REPO_FILE, LOCAL_FILE]) {
    const t = readRepoFile(join(worktreeRoot, f)).text;
    h.update(`${f}\u0000${t === null ? '<absent>' : `${t.length}\u0000${t}`}\u0000`);
  }
  return h.digest('hex');
}

function readTrust(file: string): TrustFile {
  const t = readMaybe(file);
  if (t === null) return { version: 1, repos: {} };
  try {
    const j = JSON.parse(t) as TrustFile;
    if (j && typeof j === 'object' && j.repos && typeof j.repos === 'object') return j;
  } catch {
    /* fall through */
  }
  throw new TkError('config', `The trust store ${file} is corrupt.`, { hint: 'Delete it and run `tk config trust` again in the repositories you trust.' });
}

export type TrustStatus = 'trusted' | 'untrusted' | 'changed' | 'no-files';

export async function trustStatus(paths: Pick<TkPaths, 'trustFile'>, roots: RepoRoots): Promise<TrustStatus> {
  if (!existsSync(join(roots.worktreeRoot, REPO_FILE)) && !existsSync(join(roots.worktreeRoot, LOCAL_FILE))) return 'no-files';
  const entry = readTrust(paths.trustFile).repos[roots.mainRoot];
  if (!entry) return 'untrusted';
  return entry.sha256 === (await repoConfigHash(roots.worktreeRoot)) ? 'trusted' : 'changed';
}

export async function setTrust(paths: Pick<TkPaths, 'trustFile'>, roots: RepoRoots, trusted: boolean): Promise<void> {
  const store = readTrust(paths.trustFile);
  if (trusted) store.repos[roots.mainRoot] = { sha256: await repoConfigHash(roots.worktreeRoot), trusted_at: new Date().toISOString() };
  else delete store.repos[roots.mainRoot];
  writeFileAtomic(paths.trustFile, JSON.stringify(store, null, 2) + '\n');
}

// ---- loading ----------------------------------------------------------------------------------

export interface LoadConfigOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  paths?: TkPaths;
  /** Skip the one-time import of the Rust tool's files (default: do it). */
  noImport?: boolean;
}

export interface LoadedConfig extends ResolvedConfig {
  paths: TkPaths;
  roots: RepoRoots | null;
  trust: TrustStatus | null;
  /** The tart binary to run: env TK_TART, else tart_path, else `tart`. */
  tartPath: string;
  /** Files read, in layer order. */
  files: string[];
  /** Things worth telling once (the one-time import of the Rust tool's files). Not warnings. */
  notices: string[];
}

function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  if (p === '~' || p.startsWith('~/')) return join(env['HOME'] ?? '/', p.slice(1));
  return p;
}

export async function loadConfig(opts: LoadConfigOptions): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const paths = opts.paths ?? tkPaths(env);
  const warnings: string[] = [];
  const notices: string[] = [];
  if (!opts.noImport && !existsSync(paths.importMarker)) {
    const dir = tachikomaDir(env);
    if (dir && existsSync(dir)) notices.push(...(await importTachikoma(paths, dir)));
  }
  const layers: ConfigLayer[] = [];
  const files: string[] = [];
  const globalText = readMaybe(paths.configFile);
  if (globalText !== null) {
    layers.push(await parseLayer('global', paths.configFile, globalText, true));
    files.push(paths.configFile);
  }
  const roots = findRepoRoots(opts.cwd);
  let trust: TrustStatus | null = null;
  if (roots) {
    trust = await trustStatus(paths, roots);
    if (trust === 'changed') {
      warnings.push(`The config files in ${roots.worktreeRoot} changed since you trusted them: only repository-safe keys apply. Review them, then run \`tk config trust\`.`);
    }
    for (const [kind, name] of [['repo', REPO_FILE], ['local', LOCAL_FILE]] as const) {
      const file = join(roots.worktreeRoot, name);
      const { text, problem } = readRepoFile(file);
      if (problem) warnings.push(problem);
      if (text === null) continue;
      layers.push(await parseLayer(kind, file, text, trust === 'trusted'));
      files.push(file);
    }
  }
  const resolved = resolveConfig(layers, { credential_proxy_allow: [...DEFAULT_ALLOW] });
  const c: Config = resolved.config;
  // Paths: `~` expanded; relative paths from a repository file are relative to its checkout,
  // from the global file relative to the config directory.
  const base = (key: 'worktree_dir' | 'provision_scripts'): string => {
    const layer = resolved.origins[key];
    return layer && layer.kind !== 'global' ? dirname(layer.file) : paths.configDir;
  };
  if (c.worktree_dir !== null) {
    const p = expandHome(c.worktree_dir, env);
    c.worktree_dir = isAbsolute(p) ? p : resolve(base('worktree_dir'), p);
  }
  c.provision_scripts = c.provision_scripts.map((s) => {
    const p = expandHome(s, env);
    return isAbsolute(p) ? p : resolve(base('provision_scripts'), p);
  });
  return {
    ...resolved,
    warnings: [...warnings, ...resolved.warnings],
    paths,
    roots,
    trust,
    tartPath: env['TK_TART'] || c.tart_path || 'tart',
    files,
    notices,
  };
}

/** The credential proxy's settings from the config (validated by the proxy's own rules). */
export function proxyConfigFrom(c: Config): ProxyConfig {
  return resolveProxyConfig({
    credential_proxy: c.credential_proxy,
    credential_proxy_port: c.credential_proxy_port,
    credential_proxy_bind: c.credential_proxy_bind,
    credential_proxy_ttl_secs: c.credential_proxy_ttl_secs,
    credential_proxy_upstream: c.credential_proxy_upstream,
    credential_proxy_allow: c.credential_proxy_allow,
    credential_command: c.credential_command ?? undefined,
    api_key_command: c.api_key_command ?? undefined,
  });
}
