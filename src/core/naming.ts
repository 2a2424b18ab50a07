// VM and branch naming: tachikoma §3.3 exactly (so tk finds VMs the Rust tool created), plus
// collision safety. Pure functions; the state is an input.
import type { VmRecord } from './model.js';

export const VM_PREFIX = 'tachikoma-';
export const MAX_NAME = 63;

/**
 * tachikoma's slugify: lowercase, every non-ASCII-alphanumeric char -> '-', collapse/trim dashes,
 * cut to `max` bytes (all ASCII by then), trim a trailing '-'.
 */
export function slugify(input: string, max = MAX_NAME): string {
  const mapped = Array.from(input.toLowerCase(), (c) => (/^[a-z0-9]$/.test(c) ? c : '-')).join('');
  const joined = mapped.split('-').filter((p) => p.length > 0).join('-');
  return joined.slice(0, max).replace(/-+$/, '');
}

/** `tachikoma-<repo>-<branch>`, slugified to 63 chars (tachikoma's `vm_name`). */
export function plainVmName(repo: string, branch: string): string {
  return slugify(`${VM_PREFIX}${repo}-${branch}`, MAX_NAME);
}

/** Guest hostname (tachikoma's `branch_slug`). Never empty: a branch of only symbols becomes `branch`. */
export function branchSlug(branch: string): string {
  return slugify(branch, MAX_NAME) || 'branch';
}

/** FNV-1a 32-bit, hex. Stable across runs and platforms; not a security boundary. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Name with a stable hash suffix of (main repo path, branch): used only when the plain name is taken. */
export function suffixedVmName(repo: string, branch: string, repoRoot: string): string {
  const hash = shortHash(`${repoRoot}\0${branch}`);
  const base = slugify(`${VM_PREFIX}${repo}-${branch}`, MAX_NAME - hash.length - 1);
  return `${base}-${hash}`;
}

/** Does this record belong to (repoRoot, branch)? Records from tachikoma have no repo_root: match by basename. */
export function recordIsFor(rec: VmRecord, repo: string, repoRoot: string, branch: string): boolean {
  if (rec.branch !== branch) return false;
  return rec.repo_root !== undefined ? rec.repo_root === repoRoot : rec.repo === repo;
}

/**
 * The VM name for a branch, given the current state:
 * 1. a record already for (repo, branch) keeps its name (plain or suffixed);
 * 2. else the plain tachikoma name when no record of another branch holds it;
 * 3. else the plain name + `-<hash>` (stable, so the next spawn finds it by rule 1 anyway).
 */
export function vmNameFor(input: { repo: string; repoRoot: string; branch: string; vms: readonly VmRecord[] }): string {
  const { repo, repoRoot, branch, vms } = input;
  const own = vms.find((v) => recordIsFor(v, repo, repoRoot, branch));
  if (own) return own.name;
  const plain = plainVmName(repo, branch);
  if (!vms.some((v) => v.name === plain)) return plain;
  return suffixedVmName(repo, branch, repoRoot);
}

/** Directory name for a new linked worktree: `<repo>-<slug>`, flat (never nested), unique per branch. */
export function worktreeDirName(repo: string, branch: string): string {
  const slug = slugify(branch, 80) || 'branch';
  const plain = `${repo}-${slug}`;
  // A slug loses information ('/' and '-' collide, unicode, truncation): add a hash unless the slug is exact.
  return slug === branch ? plain : `${plain}-${shortHash(branch).slice(0, 6)}`;
}
