// Host-side git, hardened: nothing a guest plants in a worktree or `.git` ever runs on the host.
import type { WorktreeChanges } from '../core/model.js';

export interface RepoInfo {
  /** Root of the main repository (the checkout owning `.git`), even from a linked worktree. */
  mainRoot: string;
  /** Root of the checkout containing cwd (a linked worktree's own root, or mainRoot). */
  worktreeRoot: string;
  /** Basename of mainRoot: the repo part of VM names. */
  repoName: string;
  /** Current branch; null on a detached HEAD. */
  branch: string | null;
}

export interface WorktreeEntry {
  path: string;
  /** Branch checked out there (without refs/heads/), null when detached. */
  branch: string | null;
  isMain: boolean;
}

export interface EnsuredWorktree {
  path: string;
  /** false when the branch's existing worktree (possibly the main checkout) was reused. */
  created: boolean;
  branchCreated: boolean;
}

export interface GitPort {
  /** Throws TkError('git') outside a repository. */
  repoInfo(cwd: string): Promise<RepoInfo>;
  /** The current branch; a detached HEAD is a TkError with a hint. */
  currentBranch(cwd: string): Promise<string>;
  listWorktrees(mainRoot: string): Promise<WorktreeEntry[]>;
  /** tachikoma §4.1: reuse the branch's worktree, else add one (creating the branch from HEAD if missing). */
  ensureWorktree(opts: { mainRoot: string; repoName: string; branch: string; worktreeDir?: string | null }): Promise<EnsuredWorktree>;
  /** Removes a linked worktree (never the main checkout). */
  removeWorktree(mainRoot: string, path: string, opts?: { force?: boolean }): Promise<void>;
  /** Changed files (staged, unstaged, untracked) and ahead/behind of the upstream. */
  changes(worktree: string): Promise<WorktreeChanges>;
  /** Commits on the branch not on any remote-tracking ref (all of them when there is no remote). */
  unpushedCommits(worktree: string): Promise<number>;
  branches(mainRoot: string): Promise<string[]>;
}

/** What `tk pr` needs from host git and gh (hardened: src/adapters/git.ts). */
export interface PrPort {
  /** `remote.origin.url` of the main repository's `.git/config` (read, never followed), or null. */
  originUrl(mainRoot: string): Promise<string | null>;
  /** `git diff --stat HEAD` and `git status --short` output. */
  diffStat(worktree: string): Promise<{ diff: string; status: string }>;
  /** `git add -A` + `git commit` with hooks disabled and the host's identity. */
  commitAll(worktree: string, message: string): Promise<void>;
  /** Pushes HEAD to `refs/heads/<branch>` at exactly `url` over `protocol` only; refuses when the repository config could redirect it. */
  push(worktree: string, remote: { url: string; protocol: 'https' | 'ssh' | 'file' }, branch: string): Promise<void>;
  /**
   * `gh pr create --fill --head <branch>` for `target` (GH_HOST=host, GH_REPO=host/repo, both from
   * the trusted push URL; null: a local test remote); returns gh's stdout (the URL).
   */
  createPr(worktree: string, branch: string, target: { host: string; repo: string } | null): Promise<string>;
}
