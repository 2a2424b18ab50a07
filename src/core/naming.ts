// VM names and slugs (tachikoma §3.3, exactly), plus collision safety the Rust tool lacks.
import type { VmRecord } from './model.js';

export const VM_PREFIX = 'tachikoma-';
export const MAX_NAME = 63;

/**
 * tachikoma's slugify: Unicode-lowercase, every char that is not ASCII alphanumeric becomes `-`,
 * runs of `-` collapse, leading/trailing `-` trimmed, cut to `max` bytes (all ASCII by then),
 * trailing `-` trimmed again.
 */
export function slugify(input: string, max = MAX_NAME): string {
  const lowered = input.toLowerCase();
  let out = '';
  for (const ch of lowered) out += /^[a-z0-9]$/.test(ch) ? ch : '-';
  const joined = out
    .split('-')
    .filter((p) => p.length > 0)
    .join('-');
  return joined.slice(0, max).replace(/-+$/, '');
}

/** `tachikoma-<repo>-<branch>`, slugified to 63 chars (the Rust tool's VM name). */
export function vmName(repo: string, branch: string): string {
  return slugify(`${VM_PREFIX}${repo}-${branch}`, MAX_NAME);
}

/** Guest hostname for a branch. */
export function branchSlug(branch: string): string {
  return slugify(branch, MAX_NAME);
}

/** 32-bit FNV-1a over UTF-8, as 8 hex digits: a short, stable, dependency-free hash. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Identity of a branch's VM: a record belongs to (repo, branch[, repoRoot]). */
function sameOwner(r: VmRecord, repo: string, branch: string, repoRoot: string | undefined): boolean {
  if (r.repo !== repo || r.branch !== branch) return false;
  // Records written by the Rust tool have no repo_root; they match on repo basename + branch.
  return r.repo_root === undefined || repoRoot === undefined || r.repo_root === repoRoot;
}

function withSuffix(base: string, suffix: string): string {
  const head = base.slice(0, MAX_NAME - suffix.length - 1).replace(/-+$/, '');
  return `${head}-${suffix}`;
}

/**
 * The VM name for a branch, given the records that exist. Pure.
 * - A record that already belongs to this branch keeps its name (whatever it is).
 * - Otherwise the plain tachikoma name, when no other branch holds it.
 * - Otherwise (slug collision such as `feature/a-b` vs `feature-a/b`, or branches equal up to the
 *   63-char cut, or two repos with one basename) the plain name plus a stable 8-hex hash of
 *   repo root + branch.
 */
export function resolveVmName(repo: string, branch: string, existing: readonly VmRecord[], repoRoot?: string): string {
  const own = existing.find((r) => sameOwner(r, repo, branch, repoRoot));
  if (own) return own.name;
  const plain = vmName(repo, branch);
  const taken = new Set(existing.map((r) => r.name));
  if (!taken.has(plain)) return plain;
  const seed = `${repoRoot ?? repo}\u0000${branch}`;
  let name = withSuffix(plain, shortHash(seed));
  for (let i = 2; taken.has(name); i++) name = withSuffix(plain, shortHash(`${seed}\u0000${i}`));
  return name;
}

/** Directory name of a branch's linked worktree: `<repo>-<slug>`, never nested; hash when lossy. */
export function worktreeDirName(repo: string, branch: string): string {
  const slug = slugify(branch, 200);
  const base = `${repo}-${slug || 'branch'}`;
  // The slug is lossy (`a/b` and `a-b` share it): keep dir names distinct per branch.
  return slug === branch ? base : `${base}-${shortHash(branch)}`;
}
