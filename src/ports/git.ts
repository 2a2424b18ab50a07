// Host-side git, hardened: the guest can write the worktree and .git, so nothing there may make
// the host run a command (see src/adapters/git.ts).
import type { WorktreeChanges } from '../core/model.js';

export interface RepoInfo {
  /** Main repository root (the checkout that owns .git), even when cwd is in a linked worktree. */
  mainRoot: string;
  /** Root of the worktree containing cwd (== mainRoot in the main checkout). */
  worktreeRoot: string;
  /** Basename of mainRoot: the `<repo>` part of VM names. */
  repoName: string;
  /** Current branch, or null on a detached HEAD. */
  branch: string | null;
}

export interface WorktreeEntry {
  path: string;
  /** Short branch name, null when detached/bare. */
  branch: string | null;
  head: string | null;
  isMain: boolean;
}

export interface EnsuredWorktree {
  path: string;
  /** A new linked worktree was added. */
  created: boolean;
  /** The branch did not exist and was created from the main checkout's HEAD. */
  createdBranch: boolean;
  isMain: boolean;
}

export interface GitPort {
  /** Throws TkError('git') outside a repository. */
  repoInfo(cwd: string): Promise<RepoInfo>;
  /** Current branch; detached HEAD is a TkError with a hint. */
  currentBranch(cwd: string): Promise<string>;
  listWorktrees(mainRoot: string): Promise<WorktreeEntry[]>;
  /** Reuse the branch's worktree, else add one under `worktreeDir` (default: parent of mainRoot). */
  ensureWorktree(opts: { mainRoot: string; repoName: string; branch: string; worktreeDir?: string }): Promise<EnsuredWorktree>;
  /** Removes a linked worktree (never the main one). `force` discards changes. */
  removeWorktree(mainRoot: string, path: string, opts: { force: boolean }): Promise<void>;
  /** Changed files + ahead/behind upstream (or vs `base` when no upstream). */
  changes(worktree: string, base?: string): Promise<WorktreeChanges>;
  /** Commits on HEAD not on any remote-tracking branch. */
  unpushedCommits(worktree: string): Promise<number>;
  /** Local branch names (for completion and the dashboard). */
  branches(repo: string): Promise<string[]>;
  branchExists(repo: string, branch: string): Promise<boolean>;
}
