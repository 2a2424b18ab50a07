// Hardened host git (GitPort). The guest can write the worktree and `.git`, so every host git call:
// - runs with a scrubbed environment (allowlist; no GIT_* from the caller, GIT_CONFIG_NOSYSTEM=1),
// - overrides, at command-line priority (GIT_CONFIG_COUNT), every config key that names a program:
//   hooks, fsmonitor, ssh, askpass, credential helpers, pager, editors, external diff, gpg, and
//   each filter/diff/merge driver the repository's config defines (found by reading config, which
//   runs nothing; includes are followed, so included files are covered too),
// - passes argv only (no shell), `--end-of-options` before revisions, `--` before paths,
// - never fetches; pushes only in `push` mode (tk pr): to an explicit URL the host trusts, over its
//   one transport, with the user's global credential helpers and a plain ssh (see pushOverrides).
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TkError } from '../core/errors.js';
import type { WorktreeChanges } from '../core/model.js';
import { shortHash, worktreeDirName } from '../core/naming.js';
import { tmpdir } from 'node:os';
import { dangerousPushKeys } from '../core/pr.js';
import type { EnsuredWorktree, GitPort, PrPort, RepoInfo, WorktreeEntry } from '../ports/git.js';
import { acquireLock } from './file-lock.js';
import { tkPaths } from './paths.js';
import { checkWorktreeLink } from './worktree-link.js';

/** Config that names programs, overridden on every call. */
const BASE_OVERRIDES: ReadonlyArray<readonly [string, string]> = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['core.sshCommand', 'false'],
  ['core.askPass', ''],
  ['core.pager', 'cat'],
  ['core.editor', 'false'],
  ['core.gitProxy', ''],
  ['sequence.editor', 'false'],
  ['credential.helper', ''],
  ['diff.external', ''],
  ['log.showSignature', 'false'],
  ['gpg.program', 'false'],
  ['gpg.ssh.program', 'false'],
  ['gpg.x509.program', 'false'],
  ['submodule.recurse', 'false'],
  ['protocol.allow', 'never'],
  ['uploadpack.packObjectsHook', ''],
  ['core.alternateRefsCommand', ''],
];

/** Driver keys that run programs, by section. */
const DRIVER_KEY = /^(filter|diff|merge)\.(.+)\.(clean|smudge|process|command|textconv|driver)$/s;

/** Extra variables for pushes (ssh agent, credential helpers' own config and tokens; GH_ENTERPRISE_* for github_hosts servers). */
const PUSH_ENV = ['SSH_AUTH_SOCK', 'GH_TOKEN', 'GITHUB_TOKEN', 'GH_ENTERPRISE_TOKEN', 'GITHUB_ENTERPRISE_TOKEN', 'GH_CONFIG_DIR', 'XDG_CONFIG_HOME'];

const ENV_ALLOW = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'TZ', 'TMPDIR', 'SYSTEMROOT'];

export interface GitRunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Default limit for one host git call (worktree add gets WORKTREE_ADD_TIMEOUT_MS). */
export const GIT_TIMEOUT_MS = 60_000;
export const WORKTREE_ADD_TIMEOUT_MS = 15 * 60_000;

export interface HardenedGitOptions {
  /**
   * Kill a git call after this many ms. The guest can make host git block forever (e.g. an
   * `include.path` naming a FIFO it created in the shared worktree); a dashboard or a spawn must
   * get an error instead of hanging.
   */
  timeoutMs?: number;
  /** git binary (tests). */
  git?: string;
  env?: NodeJS.ProcessEnv;
  /** gh binary for `tk pr` (default `gh`, looked up on PATH). */
  gh?: string;
  /** Where worktree add/remove locks live (default `$TK_HOME/locks`, host-only: never in `.git`). */
  lockDir?: string;
}

function baseEnv(src: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ENV_ALLOW) if (src[k] !== undefined) env[k] = src[k];
  for (const k of Object.keys(src)) if (k.startsWith('LC_')) env[k] = src[k];
  env['GIT_CONFIG_NOSYSTEM'] = '1';
  env['GIT_TERMINAL_PROMPT'] = '0';
  env['GIT_PAGER'] = 'cat';
  env['GIT_EDITOR'] = 'false';
  env['GIT_OPTIONAL_LOCKS'] = '0';
  env['GIT_LFS_SKIP_SMUDGE'] = '1';
  env['GIT_NO_REPLACE_OBJECTS'] = '1';
  return env;
}

function withOverrides(env: NodeJS.ProcessEnv, overrides: ReadonlyArray<readonly [string, string]>): NodeJS.ProcessEnv {
  const out = { ...env };
  overrides.forEach(([k, v], i) => {
    out[`GIT_CONFIG_KEY_${i}`] = k;
    out[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  out['GIT_CONFIG_COUNT'] = String(overrides.length);
  return out;
}

/** Overrides neutralising every program-running driver named in `git config --list` output (NUL-separated names). */
export function driverOverrides(names: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const n of names) {
    const m = DRIVER_KEY.exec(n);
    if (!m) continue;
    const [, section, sub] = m as unknown as [string, string, string];
    const id = `${section}\u0000${sub}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (section === 'filter') {
      out.push([`filter.${sub}.clean`, ''], [`filter.${sub}.smudge`, ''], [`filter.${sub}.process`, ''], [`filter.${sub}.required`, 'false']);
    } else if (section === 'diff') {
      out.push([`diff.${sub}.command`, ''], [`diff.${sub}.textconv`, '']);
    } else {
      out.push([`merge.${sub}.driver`, '']);
    }
  }
  return out;
}

export class HardenedGit {
  private readonly git: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;

  /** The caller's environment (SSH_AUTH_SOCK for pushes; gh's own variables). */
  readonly srcEnv: NodeJS.ProcessEnv;

  constructor(opts: HardenedGitOptions = {}) {
    this.git = opts.git ?? 'git';
    this.srcEnv = opts.env ?? process.env;
    this.env = baseEnv(this.srcEnv);
    this.timeoutMs = opts.timeoutMs ?? GIT_TIMEOUT_MS;
  }

  /** The scrubbed environment plus `overrides` as command-line config (for programs that run git: gh). */
  envWith(overrides: ReadonlyArray<readonly [string, string]>): NodeJS.ProcessEnv {
    return withOverrides(this.env, overrides);
  }

  private spawn(cwd: string, args: readonly string[], overrides: ReadonlyArray<readonly [string, string]>, timeoutMs = this.timeoutMs, extraEnv: NodeJS.ProcessEnv = {}): Promise<GitRunResult> {
    return new Promise((resolveP, reject) => {
      execFile(
        this.git,
        ['--no-pager', ...args],
        { cwd, env: { ...withOverrides(this.env, overrides), ...extraEnv }, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', windowsHide: true, timeout: timeoutMs, killSignal: 'SIGKILL' },
        (err, stdout, stderr) => {
          if (err && (err as { killed?: boolean }).killed) {
            reject(
              new TkError('git', `git ${args[0] ?? ''} in ${cwd} did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped.`, {
                hint: `Something in the repository's git configuration may block git (the VMs can write .git; e.g. an include of a FIFO). Inspect: git -C ${JSON.stringify(cwd)} config --list --show-origin`,
                cause: err,
              }),
            );
            return;
          }
          if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
            const e = err as NodeJS.ErrnoException;
            if (e.code === 'ENOENT' && !existsSync(cwd)) {
              reject(new TkError('git', `Directory not found: ${cwd}`, { cause: err }));
              return;
            }
            reject(new TkError('git', `Could not run git: ${e.message}`, { hint: 'Install git and make sure it is on PATH.', cause: err }));
            return;
          }
          const code = err ? ((err as { code?: number }).code ?? 1) : 0;
          resolveP({ stdout, stderr, code: typeof code === 'number' ? code : 1 });
        },
      );
    });
  }

  /** Driver overrides for `cwd`, read afresh each time (never cached: test/adapters/git-late-plant.test.ts). */
  private async driverOverridesFor(cwd: string): Promise<Array<[string, string]>> {
    const r = await this.spawn(cwd, ['config', '--null', '--name-only', '--list'], BASE_OVERRIDES);
    return r.code === 0 ? driverOverrides(r.stdout.split('\u0000')) : [];
  }

  /**
   * Runs git with every override; never throws for a non-zero exit (see `code`).
   * `contentFilters`: the command reads or writes worktree content (status, worktree add/remove),
   * so the repository's filter/diff/merge drivers are read afresh (never cached: the guest may
   * add one at any time) and neutralised for this call. `timeoutMs` overrides the call's limit.
   */
  async run(cwd: string, args: readonly string[], opts: { contentFilters?: boolean; timeoutMs?: number } = {}): Promise<GitRunResult> {
    const drivers = opts.contentFilters ? await this.driverOverridesFor(cwd) : [];
    return this.spawn(cwd, args, [...BASE_OVERRIDES, ...drivers], opts.timeoutMs);
  }

  /** Every override for `cwd` (base + its drivers, read afresh). */
  async overridesFor(cwd: string): Promise<Array<readonly [string, string]>> {
    return [...BASE_OVERRIDES, ...(await this.driverOverridesFor(cwd))];
  }

  /**
   * `git push` (tk pr). Base overrides and drivers, then: only `protocol` is allowed, a plain `ssh`
   * (the user's ~/.ssh/config and agent), no proxy, TLS verification on, no submodule pushes, and
   * the credential helpers of the host's system and GLOBAL config (an empty value first clears any
   * the repository names). SSH_AUTH_SOCK and the helpers' own variables are passed (PUSH_ENV).
   */
  async push(cwd: string, args: readonly string[], protocol: 'https' | 'ssh' | 'file', timeoutMs = 10 * 60_000): Promise<GitRunResult> {
    const helpers = await this.globalCredentialHelpers();
    const overrides: Array<readonly [string, string]> = [
      ...(await this.overridesFor(cwd)),
      ['protocol.allow', 'never'],
      [`protocol.${protocol}.allow`, 'always'],
      ['core.sshCommand', 'ssh'],
      ['http.proxy', ''],
      ['http.sslVerify', 'true'],
      ['push.recurseSubmodules', 'no'],
      ['push.gpgSign', 'false'],
      ['credential.helper', ''],
      ...helpers.map((h): [string, string] => ['credential.helper', h]),
    ];
    // The host user's own variables that ssh and credential helpers (e.g. `gh auth git-credential`) need.
    const extra: NodeJS.ProcessEnv = {};
    for (const k of PUSH_ENV) if (this.srcEnv[k] !== undefined) extra[k] = this.srcEnv[k];
    return this.spawn(cwd, args, overrides, timeoutMs, extra);
  }

  /**
   * `credential.helper` values of the host's system and user-global config only (macOS git names
   * osxkeychain at system scope), read from a directory outside any repository and filtered by
   * scope; an empty value clears the ones before it, as git does.
   */
  async globalCredentialHelpers(): Promise<string[]> {
    const r = await this.spawn(tmpdir(), ['config', '--null', '--show-scope', '--get-all', 'credential.helper'], BASE_OVERRIDES.filter(([k]) => k !== 'credential.helper'), this.timeoutMs, { GIT_CONFIG_NOSYSTEM: '0' });
    if (r.code !== 0) return [];
    const f = r.stdout.split('\u0000');
    let helpers: string[] = [];
    for (let i = 0; i + 1 < f.length; i += 2) {
      if (f[i] !== 'system' && f[i] !== 'global') continue;
      const v = f[i + 1] as string;
      helpers = v === '' ? [] : [...helpers, v];
    }
    return helpers;
  }

  /** Runs git; a non-zero exit is a TkError naming what failed, with git's stderr. */
  async ok(cwd: string, args: readonly string[], what: string, opts: { contentFilters?: boolean } = {}): Promise<string> {
    const r = await this.run(cwd, args, opts);
    if (r.code !== 0) throw new TkError('git', `${what}: ${r.stderr.trim() || `git exited with code ${r.code}`}`);
    return r.stdout;
  }
}

function parseWorktrees(out: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let cur: WorktreeEntry | null = null;
  for (const field of out.split('\u0000')) {
    if (field === '') {
      cur = null;
      continue;
    }
    if (field.startsWith('worktree ')) {
      cur = { path: field.slice('worktree '.length), branch: null, isMain: entries.length === 0 };
      entries.push(cur);
    } else if (cur && field.startsWith('branch ')) {
      const ref = field.slice('branch '.length);
      cur.branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
    }
  }
  return entries;
}

export class GitCli implements GitPort, PrPort {
  readonly git: HardenedGit;
  private readonly lockDir: string;
  private readonly gh: string;
  constructor(opts: HardenedGitOptions = {}) {
    this.git = new HardenedGit(opts);
    this.gh = opts.gh ?? 'gh';
    this.lockDir = opts.lockDir ?? join(tkPaths(opts.env ?? process.env).home, 'locks');
  }

  /**
   * Serialises worktree changes per repository across processes: concurrent `git worktree add`s
   * race inside git ("failed to read .git/worktrees/<x>/commondir"), and two spawns of one branch
   * must agree on one worktree.
   */
  private async withRepoLock<T>(mainRoot: string, fn: () => Promise<T>): Promise<T> {
    const release = await acquireLock(join(this.lockDir, `worktree-${shortHash(mainRoot)}.lock`), { what: `worktrees of ${mainRoot}`, timeoutMs: 120_000 });
    try {
      return await fn();
    } finally {
      release();
    }
  }

  async repoInfo(cwd: string): Promise<RepoInfo> {
    const r = await this.git.run(cwd, ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-common-dir']);
    if (r.code !== 0) {
      throw new TkError('git', `Not inside a git repository: ${cwd}`, {
        hint: 'Run tk inside a git checkout, or name the VM explicitly (see `tk list`).',
      });
    }
    const [top, common] = r.stdout.replace(/\n$/, '').split('\n') as [string, string | undefined];
    if (!top || !common) throw new TkError('git', `git rev-parse gave unexpected output in ${cwd}`);
    // rev-parse follows the worktree's .git file, which the guest can rewrite: verify the link
    // both ways before taking its repository as "this repo" (src/adapters/worktree-link.ts).
    const link = checkWorktreeLink(top);
    if (link.kind === 'refused') {
      throw new TkError('git', `${top} is not a genuine checkout of a repository tk can use: ${link.reason}.`, {
        hint: 'Its .git file may have been altered (VMs can write their worktree). Run tk from the main checkout, or repair the link with: git worktree repair',
      });
    }
    if (realpathSync(common) !== link.commonDir) {
      throw new TkError('git', `git and the worktree's .git file disagree about the repository of ${top}.`, { hint: 'Run tk from the main checkout, or repair the link with: git worktree repair' });
    }
    const mainRoot = link.mainRoot;
    const head = await this.git.run(cwd, ['symbolic-ref', '-q', 'HEAD']);
    const ref = head.code === 0 ? head.stdout.replace(/\n$/, '') : '';
    const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
    return { mainRoot, worktreeRoot: top, repoName: basename(mainRoot), branch };
  }

  async currentBranch(cwd: string): Promise<string> {
    const info = await this.repoInfo(cwd);
    if (info.branch === null) {
      throw new TkError('git', `HEAD is detached in ${info.worktreeRoot}: tk names VMs after branches.`, {
        hint: 'Check out a branch (git switch <branch>) or pass one: tk spawn BRANCH.',
      });
    }
    return info.branch;
  }

  async listWorktrees(mainRoot: string): Promise<WorktreeEntry[]> {
    return parseWorktrees(await this.git.ok(mainRoot, ['worktree', 'list', '--porcelain', '-z'], 'git worktree list failed'));
  }

  private async validBranch(mainRoot: string, branch: string): Promise<void> {
    const r = branch === '' ? null : await this.git.run(mainRoot, ['check-ref-format', `refs/heads/${branch}`]);
    if (!r || r.code !== 0) {
      throw new TkError('usage', `${JSON.stringify(branch)} is not a valid git branch name.`, {
        hint: 'See `git check-ref-format --help` for the rules.',
      });
    }
  }

  private async branchExists(mainRoot: string, branch: string): Promise<boolean> {
    const r = await this.git.run(mainRoot, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`]);
    return r.code === 0;
  }

  /**
   * The real path of a listed worktree, after checking it is one: `git worktree list` takes a
   * linked worktree's path from .git/worktrees/<id>/gitdir, which the guest can write, so a
   * planted entry could name any host directory (which spawn would then mount into a VM). A
   * genuine linked worktree has its own `.git` file (a regular file, not a symlink) pointing back
   * into this repository's .git/worktrees; the guest cannot create that file outside the shares.
   */
  private async genuineWorktree(mainRoot: string, w: WorktreeEntry): Promise<string> {
    const refuse = (why: string) =>
      new TkError('git', `The worktree git lists for branch ${JSON.stringify(w.branch)} at ${w.path} is not a genuine worktree of ${mainRoot}: ${why}.`, {
        hint: `Its metadata in ${join(mainRoot, '.git', 'worktrees')} may have been altered (the VMs can write .git). Inspect it, then run: git -C ${JSON.stringify(mainRoot)} worktree prune`,
      });
    const common = (await this.git.ok(mainRoot, ['rev-parse', '--path-format=absolute', '--git-common-dir'], 'git rev-parse failed')).trim();
    let realCommon: string;
    let realPath: string;
    try {
      realCommon = realpathSync(common);
      realPath = realpathSync(w.path);
    } catch {
      throw refuse('the directory does not exist');
    }
    if (w.isMain) {
      if (basename(realCommon) !== '.git' || realPath !== dirname(realCommon)) throw refuse('it is not the directory that holds .git');
      return realPath;
    }
    const dotgit = join(realPath, '.git');
    let st;
    try {
      st = lstatSync(dotgit);
    } catch {
      throw refuse('it has no .git file');
    }
    if (!st.isFile()) throw refuse('its .git is not a regular file');
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotgit, 'utf8'));
    let target: string | null = null;
    try {
      target = m?.[1] ? realpathSync(resolve(realPath, m[1])) : null;
    } catch {
      target = null;
    }
    if (!target || dirname(target) !== join(realCommon, 'worktrees')) throw refuse('its .git file does not point back into this repository');
    return realPath;
  }

  async ensureWorktree(opts: { mainRoot: string; repoName: string; branch: string; worktreeDir?: string | null }): Promise<EnsuredWorktree> {
    await this.validBranch(opts.mainRoot, opts.branch);
    return this.withRepoLock(opts.mainRoot, () => this.ensureLocked(opts));
  }

  private async ensureLocked(opts: { mainRoot: string; repoName: string; branch: string; worktreeDir?: string | null }): Promise<EnsuredWorktree> {
    const { mainRoot, repoName, branch } = opts;
    const list = await this.listWorktrees(mainRoot);
    const existing = list.find((w) => w.branch === branch);
    if (existing) return { path: await this.genuineWorktree(mainRoot, existing), created: false, branchCreated: false };

    const base = opts.worktreeDir ? resolve(mainRoot, opts.worktreeDir) : dirname(mainRoot);
    const target = join(base, worktreeDirName(repoName, branch));
    const holder = list.find((w) => resolve(w.path) === target);
    if (holder) {
      throw new TkError('git', `${target} is already the worktree of ${holder.branch === null ? 'a detached HEAD' : `branch ${JSON.stringify(holder.branch)}`}.`, {
        hint: `Remove it (git worktree remove ${JSON.stringify(target)}) or set worktree_dir to another directory.`,
      });
    }
    if (existsSync(target)) {
      throw new TkError('git', `Cannot create the worktree for ${JSON.stringify(branch)}: ${target} already exists.`, {
        hint: 'Move or delete that directory, or set worktree_dir in your config to put worktrees elsewhere.',
      });
    }
    let branchCreated = false;
    if (!(await this.branchExists(mainRoot, branch))) {
      await this.git.ok(mainRoot, ['branch', '--end-of-options', branch, 'HEAD'], `Could not create branch ${JSON.stringify(branch)} from HEAD`);
      branchCreated = true;
    }
    const r = await this.git.run(mainRoot, ['worktree', 'add', '--end-of-options', target, branch], { contentFilters: true, timeoutMs: WORKTREE_ADD_TIMEOUT_MS });
    if (r.code !== 0) {
      if (branchCreated) await this.git.run(mainRoot, ['branch', '-D', '--end-of-options', branch]);
      throw new TkError('git', `git worktree add failed for ${JSON.stringify(branch)} at ${target}: ${r.stderr.trim()}`, {
        hint: 'Fix the cause above and run the command again; nothing was left behind.',
      });
    }
    // git checks a branch out by name only when `git branch` would accept the name (not `-x`);
    // otherwise it detaches at the same commit: attach HEAD to the branch ourselves.
    const head = await this.git.run(target, ['symbolic-ref', '-q', 'HEAD']);
    if (head.code !== 0) {
      await this.git.ok(target, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`], `Could not check out ${JSON.stringify(branch)} in ${target}`);
    }
    return { path: target, created: true, branchCreated };
  }

  async removeWorktree(mainRoot: string, path: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.withRepoLock(mainRoot, () => this.removeLocked(mainRoot, path, opts));
  }

  private async removeLocked(mainRoot: string, path: string, opts: { force?: boolean }): Promise<void> {
    const list = await this.listWorktrees(mainRoot);
    const entry = list.find((w) => resolve(w.path) === resolve(path));
    if (!entry) throw new TkError('git', `${path} is not a worktree of ${mainRoot}.`);
    if (entry.isMain) throw new TkError('git', `${path} is the main checkout; tk never removes it.`);
    const args = ['worktree', 'remove', ...(opts.force ? ['--force', '--force'] : []), '--end-of-options', path];
    await this.git.ok(mainRoot, args, `git worktree remove failed for ${path}`, { contentFilters: true });
  }

  async changes(worktree: string): Promise<WorktreeChanges> {
    const out = await this.git.ok(
      worktree,
      ['status', '--porcelain=v2', '--branch', '-z', '--ignore-submodules=all', '--untracked-files=normal', '--no-renames'],
      `git status failed in ${worktree}`,
      { contentFilters: true },
    );
    let changed = 0;
    let ahead = 0;
    let behind = 0;
    const fields = out.split('\u0000');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as string;
      if (f.startsWith('# branch.ab ')) {
        const m = /\+(\d+) -(\d+)/.exec(f);
        if (m) {
          ahead = Number(m[1]);
          behind = Number(m[2]);
        }
      } else if (/^[12u?] /.test(f)) {
        changed++;
        if (f.startsWith('2 ')) i++; // rename/copy: the original path follows
      }
    }
    return { changed, ahead, behind };
  }

  async unpushedCommits(worktree: string): Promise<number> {
    const remotes = await this.git.ok(worktree, ['for-each-ref', '--count=1', '--format=%(refname)', 'refs/remotes/'], 'git for-each-ref failed');
    let args: string[];
    if (remotes.trim() !== '') {
      args = ['rev-list', '--count', 'HEAD', '--not', '--remotes'];
    } else {
      const head = await this.git.run(worktree, ['symbolic-ref', '-q', 'HEAD']);
      const ref = head.code === 0 ? head.stdout.replace(/\n$/, '') : '';
      const own = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : '';
      args = ['rev-list', '--count', 'HEAD', '--not', ...(own ? [`--exclude=${own}`] : []), '--branches'];
    }
    const r = await this.git.run(worktree, args);
    if (r.code !== 0) {
      // A branch with no commits yet has nothing unpushed.
      if (/unknown revision|bad revision|ambiguous argument 'HEAD'/.test(r.stderr)) return 0;
      throw new TkError('git', `Could not count unpushed commits in ${worktree}: ${r.stderr.trim()}`);
    }
    return Number(r.stdout.trim()) || 0;
  }

  async originUrl(mainRoot: string): Promise<string | null> {
    // --file: only the main repository's own config file (no includes, no worktree config).
    const r = await this.git.run(mainRoot, ['config', '--file', join(mainRoot, '.git', 'config'), '--get', 'remote.origin.url']);
    const url = r.stdout.replace(/\n$/, '');
    return r.code === 0 && url !== '' ? url : null;
  }

  async diffStat(worktree: string): Promise<{ diff: string; status: string }> {
    const d = await this.git.run(worktree, ['diff', '--stat', '--no-ext-diff', '--no-textconv', 'HEAD', '--'], { contentFilters: true });
    if (d.code !== 0) throw new TkError('git', `git diff --stat failed: ${d.stderr.trim()}`);
    const s = await this.git.run(worktree, ['status', '--short', '--ignore-submodules=all'], { contentFilters: true });
    if (s.code !== 0) throw new TkError('git', `git status --short failed: ${s.stderr.trim()}`);
    return { diff: d.stdout, status: s.stdout };
  }

  async commitAll(worktree: string, message: string): Promise<void> {
    await this.git.ok(worktree, ['add', '-A', '--', '.'], 'git add -A failed', { contentFilters: true });
    await this.git.ok(worktree, ['commit', '-q', '--no-verify', '--no-gpg-sign', '-m', message], 'git commit failed', { contentFilters: true });
  }

  /** Repository-scope (local, worktree, their includes) config keys that could redirect a push. */
  private async pushBlockers(worktree: string): Promise<string[]> {
    const r = await this.git.run(worktree, ['config', '--null', '--name-only', '--show-scope', '--list']);
    if (r.code !== 0) throw new TkError('git', `Could not read the git configuration of ${worktree}: ${r.stderr.trim()}`);
    const f = r.stdout.split('\u0000');
    const names: string[] = [];
    for (let i = 0; i + 1 < f.length; i += 2) {
      const scope = f[i] as string;
      if (scope !== 'global' && scope !== 'command' && scope !== 'system') names.push(f[i + 1] as string);
    }
    return dangerousPushKeys(names);
  }

  async push(worktree: string, remote: { url: string; protocol: 'https' | 'ssh' | 'file' }, branch: string): Promise<void> {
    const blockers = await this.pushBlockers(worktree);
    if (blockers.length > 0) {
      throw new TkError('git', `tk pr will not push: the repository's git config sets ${blockers.join(', ')}, which could redirect the push or capture its credentials.`, {
        hint: `VMs can write .git/config. Inspect and remove those keys (git -C ${JSON.stringify(worktree)} config --list --show-origin), or push yourself.`,
      });
    }
    const sha = (await this.git.ok(worktree, ['rev-parse', '--verify', 'HEAD^{commit}'], 'git rev-parse HEAD failed')).trim();
    const r = await this.git.push(worktree, ['push', '--no-verify', '--porcelain', '--end-of-options', remote.url, `${sha}:refs/heads/${branch}`], remote.protocol);
    if (r.code !== 0) throw new TkError('git', `git push failed: ${r.stderr.trim() || r.stdout.trim()}`, { hint: 'Check your access to the remote (gh auth status, ssh -T git@github.com) and run tk pr again.' });
    // What `push -u origin` would record: the remote-tracking ref (unpushed counts, destroy's check).
    await this.git.run(worktree, ['update-ref', `refs/remotes/origin/${branch}`, sha]);
  }

  async createPr(worktree: string, branch: string, target: { host: string; repo: string } | null): Promise<string> {
    const env = ghEnv(this.git.srcEnv, this.git.envWith(await this.git.overridesFor(worktree)));
    env['GH_PROMPT_DISABLED'] = '1';
    if (target) {
      // Both from the trusted push URL: gh must not pick a host from the (guest-writable) remotes.
      env['GH_HOST'] = target.host;
      env['GH_REPO'] = `${target.host}/${target.repo}`;
    }
    const r = await runGh(this.gh, worktree, ['pr', 'create', '--fill', '--head', branch], env);
    if (r.missing) {
      throw new TkError('git', 'gh CLI not found. Install it to create PRs: https://cli.github.com', { hint: 'Or push the branch and open a PR manually.' });
    }
    // tachikoma: a failing gh that printed something (e.g. "already exists" + URL) counts as success.
    if (r.code !== 0 && r.stdout.trim() === '') throw new TkError('git', `gh pr create failed: ${r.stderr.trim()}`, { hint: 'The branch was pushed; fix the cause above and run tk pr again (or open the PR on GitHub).' });
    return r.stdout.trim();
  }

  async branches(mainRoot: string): Promise<string[]> {
    const out = await this.git.ok(mainRoot, ['for-each-ref', '--format=%(refname)', 'refs/heads/'], 'git for-each-ref failed');
    return out
      .split('\n')
      .filter((l) => l.startsWith('refs/heads/'))
      .map((l) => l.slice('refs/heads/'.length));
  }
}

/** gh's environment: the caller's, minus every GIT_* and GH_REPO/GH_HOST it may carry, plus the hardened git overrides. */
function ghEnv(src: NodeJS.ProcessEnv, hardened: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(src)) if (!k.startsWith('GIT_') && k !== 'GH_REPO' && k !== 'GH_HOST' && k !== 'GIT_SSH' && k !== 'GIT_ASKPASS' && k !== 'SSH_ASKPASS') env[k] = v;
  return { ...env, ...hardened };
}

export interface GhRunResult {
  stdout: string;
  stderr: string;
  code: number;
  missing: boolean;
}

export function runGh(gh: string, cwd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 5 * 60_000): Promise<GhRunResult> {
  return new Promise((resolveP) => {
    execFile(gh, args, { cwd, env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        resolveP({ stdout: '', stderr: '', code: 127, missing: true });
        return;
      }
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolveP({ stdout, stderr, code, missing: false });
    });
  });
}

export function createGit(opts: HardenedGitOptions = {}): GitPort {
  return new GitCli(opts);
}
