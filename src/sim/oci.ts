// Remote names (Tart's Reference.g4 grammar) and the OCI cache:
// cache/OCIs/<host, ':' as %3A>/<namespace…>/<tag> is a symlink to the sibling sha256:<hex> directory.
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { isCompleteDir, ociCacheDir } from './home.js';

export interface RemoteName {
  host: string; // with :port
  namespace: string;
  reference: { type: 'tag' | 'digest'; value: string };
}

const NAME = '[A-Za-z0-9]+';
const HOST = `${NAME}(?:-${NAME})*(?:\\.${NAME}(?:-${NAME})*)*`;
const NSCOMP = `(?:${NAME}[._-]?)+`;
const NS = `${NSCOMP}(?:/${NSCOMP})*`;
const TAG = `${NAME}(?:[._-]${NAME})*`;
const RE = new RegExp(`^(${HOST})(?::(\\d+))?/(${NS})(?::(${TAG})|@(${NAME}:${NAME}))?$`);

/** Parse like Tart's RemoteName(_:); null when the name is local. */
export function parseRemoteName(name: string): RemoteName | null {
  const m = RE.exec(name);
  if (!m) return null;
  const [, host, port, ns, tag, digest] = m;
  if (digest !== undefined && !digest.startsWith('sha256:')) return null;
  return {
    host: port ? `${host}:${port}` : (host as string),
    namespace: ns as string,
    reference: digest ? { type: 'digest', value: digest } : { type: 'tag', value: tag ?? 'latest' },
  };
}

export function formatRemoteName(r: RemoteName): string {
  return `${r.host}/${r.namespace}${r.reference.type === 'tag' ? ':' : '@'}${r.reference.value}`;
}

export function withDigest(r: RemoteName, digest: string): RemoteName {
  return { host: r.host, namespace: r.namespace, reference: { type: 'digest', value: digest } };
}

const encHost = (h: string): string => h.replaceAll(':', '%3A');

/** cache/OCIs/<host>/<ns>/<tag|digest> */
export function ociPath(r: RemoteName): string {
  return join(ociCacheDir(), encHost(r.host), ...r.namespace.split('/'), r.reference.value);
}
export function ociHostDir(r: RemoteName): string {
  return join(ociCacheDir(), encHost(r.host));
}

/** Initialized image directory exists (following the tag symlink). */
export function ociExists(r: RemoteName): boolean {
  return isCompleteDir(ociPath(r));
}

/** The sha256:<hex> the name resolves to, or null. */
export function ociDigest(r: RemoteName): string | null {
  if (r.reference.type === 'digest') return ociExists(r) ? r.reference.value : null;
  try {
    const target = readlinkSync(ociPath(r));
    const d = basename(target);
    return d.startsWith('sha256:') ? d : null;
  } catch {
    return null;
  }
}

export function linked(from: RemoteName, to: RemoteName): boolean {
  try {
    return readlinkSync(ociPath(from)) === ociPath(to);
  } catch {
    return false;
  }
}

/** Point the tag at the digest directory (replacing any old link), then gc. */
export function link(from: RemoteName, to: RemoteName): void {
  const p = ociPath(from);
  mkdirSync(dirname(p), { recursive: true });
  if (!linked(from, to)) {
    // Atomic replace (symlink beside it, then rename over it): a concurrent clone reading the tag
    // never finds it missing, which a remove-then-create let happen.
    const tmp = `${p}.sim-link-${process.pid}`;
    rmSync(tmp, { force: true });
    symlinkSync(ociPath(to), tmp);
    try {
      renameSync(tmp, p);
    } catch {
      // p is a real directory (an old layout): rename cannot replace it.
      rmSync(p, { recursive: true, force: true });
      renameSync(tmp, p);
    }
  }
  ociGc();
}

export interface OciEntry {
  name: string;
  dir: string; // resolved directory
  isSymlink: boolean;
}

/**
 * Walks the OCI cache: `onLink` for each tag symlink, `onImage` for each complete image directory
 * (a digest directory); any other directory is descended into.
 */
function walkCache(onLink: (path: string, name: string) => void, onImage: (path: string, name: string) => void): void {
  const base = ociCacheDir();
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) onLink(p, e);
      else if (!st.isDirectory()) continue;
      else if (isCompleteDir(p)) onImage(p, e);
      else walk(p);
    }
  };
  walk(base);
}

/** Every image in the cache: one entry per tag symlink and one per digest directory. */
export function listOci(): OciEntry[] {
  const base = ociCacheDir();
  const result: OciEntry[] = [];
  const name = (p: string, e: string, sep: string) => decodeURIComponent(`${relative(base, dirname(p))}${sep}${e}`);
  walkCache(
    (p, e) => {
      if (isCompleteDir(p)) result.push({ name: name(p, e, ':'), dir: p, isSymlink: true });
    },
    (p, e) => result.push({ name: name(p, e, '@'), dir: p, isSymlink: false }),
  );
  return result;
}

/** Remove broken tag links, then digest directories nothing links to (unless explicitly pulled). */
export function ociGc(): void {
  const refs = new Map<string, number>();
  walkCache(
    (p) => {
      let target: string;
      try {
        target = readlinkSync(p);
        statSync(p);
      } catch {
        unlinkSync(p);
        return;
      }
      if (isCompleteDir(target)) refs.set(target, (refs.get(target) ?? 0) + 1);
    },
    (p) => {
      if (!refs.has(p)) refs.set(p, 0);
    },
  );
  for (const [dir, count] of refs) {
    if (count === 0 && !existsSync(join(dir, '.explicitly-pulled'))) rmSync(dir, { recursive: true, force: true });
  }
}

/** RuntimeError.FailedToParseRemoteName text, in the spirit of ANTLR's diagnostics. */
export function remoteNameParseError(name: string): string {
  const bad = [...name].findIndex((c) => !/[A-Za-z0-9.:\/@_-]/.test(c));
  if (bad >= 0) return `failed to parse remote name: token recognition error at: '${name[bad]}' (character ${bad + 1})`;
  if (!name.includes('/')) return `failed to parse remote name: mismatched input '<EOF>' expecting {':', '/', '-', '.'} (character ${name.length + 1})`;
  return `failed to parse remote name: no viable alternative at input '${name}' (character 1)`;
}
