// Which repository a checkout belongs to, without trusting what a guest can write.
// A linked worktree is shared read-write with its VM, `.git` file included; the guest can point it
// at any repository on the host. A genuine linked worktree is linked both ways: its `.git` file
// names `<common>/worktrees/<id>`, and that directory's `gitdir` file (in the repository's own
// .git, which a VM of *another* repository cannot write) names this worktree's `.git` back.
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export type LinkCheck =
  | { kind: 'main'; mainRoot: string; commonDir: string }
  | { kind: 'linked'; mainRoot: string; commonDir: string }
  | { kind: 'refused'; reason: string };

function real(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

/** Checks the checkout rooted at `worktreeRoot` (the directory holding `.git`). */
export function checkWorktreeLink(worktreeRoot: string): LinkCheck {
  const root = real(worktreeRoot) ?? resolve(worktreeRoot);
  const dotgit = join(root, '.git');
  let st;
  try {
    st = lstatSync(dotgit);
  } catch {
    return { kind: 'refused', reason: `${dotgit} does not exist` };
  }
  if (st.isDirectory()) return { kind: 'main', mainRoot: root, commonDir: dotgit };
  if (!st.isFile()) return { kind: 'refused', reason: `${dotgit} is neither a directory nor a regular file` };
  let text: string;
  try {
    text = readFileSync(dotgit, 'utf8');
  } catch {
    return { kind: 'refused', reason: `${dotgit} cannot be read` };
  }
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(text);
  const gitdir = m?.[1] ? real(resolve(root, m[1])) : null;
  if (!gitdir) return { kind: 'refused', reason: `${dotgit} does not name an existing git directory` };
  let commonRel: string;
  try {
    commonRel = readFileSync(join(gitdir, 'commondir'), 'utf8').trim();
  } catch {
    return { kind: 'refused', reason: `${gitdir} is not the metadata of a linked worktree (a submodule or a separate git dir?)` };
  }
  const common = real(resolve(gitdir, commonRel));
  if (!common || dirname(gitdir) !== join(common, 'worktrees')) {
    return { kind: 'refused', reason: `${dotgit} does not point into a repository's worktrees directory` };
  }
  let back: string | null = null;
  try {
    back = real(resolve(gitdir, readFileSync(join(gitdir, 'gitdir'), 'utf8').trim()));
  } catch {
    back = null;
  }
  if (back !== real(dotgit)) {
    return { kind: 'refused', reason: `${gitdir} does not point back to ${dotgit} (the worktree's .git file names another checkout's metadata)` };
  }
  if (basename(common) !== '.git') return { kind: 'refused', reason: `${common} is a bare repository; tk needs a main checkout` };
  return { kind: 'linked', mainRoot: dirname(common), commonDir: common };
}
