// Hardened host git (GitPort). The guest VM can write the worktree and the repository's .git, so
// every git the host runs here:
// - gets a clean environment (no GIT_* from the caller: GIT_CONFIG_*, GIT_DIR, GIT_EXEC_PATH, …),
// - gets `-c` overrides (command-line scope beats every config file, includes too) for hooks,
//   fsmonitor, pager, editor, sshCommand, credential helpers, askpass, diff.external, gc/maintenance,
// - gets every filter/diff/merge driver defined in repository-writable config (scopes `local` and
//   `worktree`, including included files) neutralised by name, so a planted `.gitattributes` +
//   driver runs nothing (drivers from the user's global/system config are left alone),
// - runs as argv (never a shell); branch names only ever appear as full `refs/heads/<b>` refs, so a
//   branch named `-x` is never an option; paths come after `--` or are absolute.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TkError } from '../core/errors.js';
import type { WorktreeChanges } from '../core/model.js';
import { worktreeDirName } from '../core/naming.js';
import type { EnsuredWorktree, GitPort, RepoInfo, WorktreeEntry } from '../ports/git.js';

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ENV_KEEP = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TMPDIR', 'TZ'];

export const HARDENING: readonly string[] = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'core.sshCommand=false',
  'core.askPass=',
  'core.pager=cat',
  'core.editor=false',
  'sequence.editor=false',
  'core.gitProxy=',
  'core.alternateRefsCommand=',
  'credential.helper=',
  'diff.external=',
  'protocol.ext.allow=never',
  'gc.auto=0',
  'maintenance.auto=false',
  'submodule.recurse=false',
  'log.showSignature=false',
  'core.quotePath=false',
];

export function hardenedEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const k of ENV_KEEP) if (env[k] !== undefined) out[k] = env[k];
  out.GIT_TERMINAL_PROMPT = '0';
  out.GIT_OPTIONAL_LOCKS = '0';
  out.GIT_PAGER = 'cat';
  out.PAGER = 'cat';
  out.GIT_EDITOR = 'false';
  return out;
}

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<GitResult> {
  return new Promise((res, rej) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => rej(new TkError('git', `Could not run git: ${e.message}`, { hint: 'Install git and make sure it is on PATH.', cause: e })));
    child.on('close', (code) => res({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

const DRIVER_KEY = /^(filter|diff|merge)\.(.+)\.([a-z]+)$/;
const DRIVER_VALUES: Record<string, Record<string, string>> = {
  filter: { clean: '', smudge: '', process: '', required: 'false' },
  diff: { textconv: '', command: '', cachetextconv: 'false' },
  merge: { driver: '' },
};

export class GitCli implements GitPort {
  private readonly env: NodeJS.ProcessEnv;
  constructor(private readonly opts: { gitPath?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.env = hardenedEnv(opts.env ?? process.env);
  }

  /** Overrides neutralising drivers that repository-writable config defines. */
  private async driverOverrides(cwd: string): Promise<string[]> {
    const r = await run(this.opts.gitPath ?? 'git', ['--no-pager', ...HARDENING.flatMap((c) => ['-c', c]), 'config', '--list', '--show-scope', '-z'], cwd, this.env);
    if (r.code !== 0) return [];
    const out: string[] = [];
    const parts = r.stdout.split('\0');
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const scope = parts[i] ?? '';
      const key = (parts[i + 1] ?? '').split('\n')[0] ?? '';
      if (scope !== 'local' && scope !== 'worktree') continue;
      const m = DRIVER_KEY.exec(key);
      if (!m) continue;
      const [, kind, name] = m as unknown as [string, 'filter' | 'diff' | 'merge', string];
      for (const [k, v] of Object.entries(DRIVER_VALUES[kind] ?? {})) out.push(`${kind}.${name}.${k}=${v}`);
    }
    return [...new Set(out)];
  }

  /** Runs hardened git in `cwd`. Exposed for tests. */
  async git(cwd: string, args: string[], opts: { check?: boolean; what?: string; workTree?: string } = {}): Promise<GitResult> {
    const drivers = await this.driverOverrides(cwd);
    const pre = ['--no-pager', '--no-optional-locks', ...[...HARDENING, ...drivers].flatMap((c) => ['-c', c])];
    if (opts.workTree) pre.push(`--work-tree=${opts.workTree}`);
    const r = await run(this.opts.gitPath ?? 'git', [...pre, ...args], cwd, this.env);
    if (opts.check !== false && r.code !== 0) {
      throw new TkError('git', `git ${opts.what ?? args[0]} failed in ${cwd}: ${r.stderr.trim() || `exit code ${r.code}`}`);
    }
    return r;
  }

  async repoInfo(cwd: string): Promise<RepoInfo> {
    if (!existsSync(cwd)) throw new TkError('git', `Directory ${cwd} does not exist.`);
    const r = await this.git(cwd, ['rev-parse', '--path-format=absolute', '--git-common-dir', '--show-toplevel'], { check: false });
    if (r.code !== 0) {
      throw new TkError('git', `${cwd} is not inside a git repository.`, { hint: 'Run tk from a git checkout, or pass the VM NAME explicitly (see `tk list`).' });
    }
    const [commonDir = '', top = ''] = r.stdout.split('\n');
    const worktreeRoot = top;
    const mainRoot = basename(commonDir) === '.git' ? dirname(commonDir) : worktreeRoot;
    const b = await this.git(cwd, ['symbolic-ref', '-q', 'HEAD'], { check: false });
    const ref = b.stdout.trim();
    const branch = b.code === 0 && ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
    return { mainRoot, worktreeRoot, repoName: basename(mainRoot), branch };
  }

  async currentBranch(cwd: string): Promise<string> {
    const info = await this.repoInfo(cwd);
    if (info.branch === null) {
      throw new TkError('git', `HEAD is detached in ${info.worktreeRoot}: there is no branch to name a VM after.`, {
        hint: 'Check out a branch (git switch <branch>) or pass one: tk spawn <branch>.',
      });
    }
    return info.branch;
  }

  async listWorktrees(mainRoot: string): Promise<WorktreeEntry[]> {
    const r = await this.git(mainRoot, ['worktree', 'list', '--porcelain', '-z'], { what: 'worktree list' });
    const entries: WorktreeEntry[] = [];
    let cur: WorktreeEntry | null = null;
    for (const field of r.stdout.split('\0')) {
      if (field === '') {
        if (cur) entries.push(cur);
        cur = null;
        continue;
      }
      const sp = field.indexOf(' ');
      const key = sp < 0 ? field : field.slice(0, sp);
      const val = sp < 0 ? '' : field.slice(sp + 1);
      if (key === 'worktree') cur = { path: val, branch: null, head: null, isMain: entries.length === 0 };
      else if (cur && key === 'HEAD') cur.head = val;
      else if (cur && key === 'branch') cur.branch = val.startsWith('refs/heads/') ? val.slice(11) : null;
    }
    if (cur) entries.push(cur);
    return entries;
  }

  /** sha of refs/heads/<branch>, or null. Exact match (for-each-ref also matches prefixes). */
  private async branchSha(repo: string, branch: string): Promise<string | null> {
    const full = `refs/heads/${branch}`;
    const r = await this.git(repo, ['for-each-ref', '--format=%(objectname) %(refname)', full], { what: 'for-each-ref' });
    for (const line of r.stdout.split('\n')) {
      const sp = line.indexOf(' ');
      if (sp > 0 && line.slice(sp + 1) === full) return line.slice(0, sp);
    }
    return null;
  }

  async branchExists(repo: string, branch: string): Promise<boolean> {
    return (await this.branchSha(repo, branch)) !== null;
  }

  async branches(repo: string): Promise<string[]> {
    const r = await this.git(repo, ['for-each-ref', '--format=%(refname)', 'refs/heads/'], { what: 'for-each-ref' });
    return r.stdout.split('\n').filter((l) => l.startsWith('refs/heads/')).map((l) => l.slice(11));
  }

  async ensureWorktree(opts: { mainRoot: string; repoName: string; branch: string; worktreeDir?: string }): Promise<EnsuredWorktree> {
    const { mainRoot, repoName, branch } = opts;
    if (branch === '' || branch === 'HEAD') {
      throw new TkError('git', `'${branch}' is not a branch name.`, { hint: 'Pass a branch: tk spawn <branch>.', exitCode: 2 });
    }
    const existing = (await this.listWorktrees(mainRoot)).find((w) => w.branch === branch);
    if (existing) {
      if (!existsSync(existing.path)) {
        throw new TkError('git', `Branch '${branch}' is registered as checked out in ${existing.path}, which no longer exists.`, {
          hint: `Run: git -C ${JSON.stringify(mainRoot)} worktree prune   then spawn again.`,
        });
      }
      return { path: existing.path, created: false, createdBranch: false, isMain: existing.isMain };
    }
    const base = opts.worktreeDir ? resolve(mainRoot, opts.worktreeDir) : dirname(mainRoot);
    const target = join(base, worktreeDirName(repoName, branch));
    if (existsSync(target) && readdirSync(target).length > 0) {
      throw new TkError('git', `Cannot create the worktree for '${branch}': ${target} already exists and is not a worktree of this branch.`, {
        hint: 'Move or remove that directory, or set worktree_dir in your config to another place.',
      });
    }
    let sha = await this.branchSha(mainRoot, branch);
    let createdBranch = false;
    if (sha === null) {
      if (branch.startsWith('-')) {
        throw new TkError('git', `Branch '${branch}' does not exist, and git does not allow creating a branch whose name starts with '-'.`, { hint: 'Pick another branch name.', exitCode: 2 });
      }
      const chk = await this.git(mainRoot, ['check-ref-format', `refs/heads/${branch}`], { check: false });
      if (chk.code !== 0) throw new TkError('git', `'${branch}' is not a valid git branch name.`, { hint: 'See `git help check-ref-format` for the rules.', exitCode: 2 });
      const head = await this.git(mainRoot, ['rev-parse', '--verify', '-q', 'HEAD^{commit}'], { check: false });
      if (head.code !== 0) throw new TkError('git', `Cannot create branch '${branch}': the repository at ${mainRoot} has no commit yet.`, { hint: 'Make a first commit, then spawn again.' });
      sha = head.stdout.trim();
      await this.git(mainRoot, ['update-ref', '-m', 'tk: create branch', `refs/heads/${branch}`, sha, ''], { what: 'update-ref (create branch)' });
      createdBranch = true;
    }
    let added = false;
    try {
      await this.git(mainRoot, ['worktree', 'add', '--no-checkout', '--detach', '--end-of-options', target, sha], { what: 'worktree add' });
      added = true;
      await this.git(target, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`], { what: 'symbolic-ref' });
      await this.git(target, ['reset', '--hard', '-q'], { what: 'reset (checkout)', workTree: target });
    } catch (e) {
      if (added) await this.git(mainRoot, ['worktree', 'remove', '--force', '--end-of-options', target], { check: false });
      if (createdBranch) await this.git(mainRoot, ['update-ref', '-d', `refs/heads/${branch}`, sha], { check: false });
      throw e;
    }
    return { path: target, created: true, createdBranch, isMain: false };
  }

  async removeWorktree(mainRoot: string, path: string, opts: { force: boolean }): Promise<void> {
    const real = (p: string) => {
      try {
        return realpathSync(p);
      } catch {
        return resolve(p);
      }
    };
    if (real(path) === real(mainRoot)) {
      throw new TkError('git', `Refusing to remove ${path}: it is the main checkout.`, { hint: 'tk only removes linked worktrees it created.' });
    }
    const args = ['worktree', 'remove', ...(opts.force ? ['--force', '--force'] : []), '--end-of-options', path];
    const r = await this.git(mainRoot, args, { check: false });
    if (r.code !== 0) {
      throw new TkError('git', `Could not remove the worktree ${path}: ${r.stderr.trim()}`, {
        hint: opts.force ? 'Check the directory permissions.' : 'It has changes; commit them, or destroy with --discard-changes.',
      });
    }
  }

  async changes(worktree: string, base?: string): Promise<WorktreeChanges> {
    const st = await this.git(worktree, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=all', '--no-renames'], { what: 'status', workTree: worktree });
    const changed = st.stdout.split('\0').filter((l) => l.length > 0).length;
    let lr = await this.git(worktree, ['rev-list', '--left-right', '--count', 'HEAD...HEAD@{upstream}'], { check: false });
    if (lr.code !== 0 && base) lr = await this.git(worktree, ['rev-list', '--left-right', '--count', `HEAD...refs/heads/${base}`], { check: false });
    let ahead = 0;
    let behind = 0;
    if (lr.code === 0) {
      const [a, b] = lr.stdout.trim().split(/\s+/);
      ahead = Number(a) || 0;
      behind = Number(b) || 0;
    }
    return { changed, ahead, behind };
  }

  async unpushedCommits(worktree: string): Promise<number> {
    const head = await this.git(worktree, ['symbolic-ref', '-q', 'HEAD'], { check: false });
    const own = head.stdout.trim();
    // Commits only this branch has: not on any remote-tracking branch nor any other local branch.
    const args = ['rev-list', '--count', 'HEAD', '--not'];
    if (own.startsWith('refs/heads/')) args.push(`--exclude=${own.slice(11)}`);
    args.push('--branches', '--remotes');
    const r = await this.git(worktree, args, { check: false });
    return r.code === 0 ? Number(r.stdout.trim()) || 0 : 0;
  }
}
