// End-to-end helpers: the built tk against tart-sim, in temp git repos with their own TK_HOME,
// TART_HOME and lease database. Everything started is stopped in cleanup().
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { makeRepo, tempDir } from '../helpers/git-repo.js';

const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, '../..');
export const TK = join(ROOT, 'bin/tk');
/** tart-sim: TK_TEST_TART, else this checkout's (once the sim is merged), else the sim branch's worktree. */
export const TART = process.env['TK_TEST_TART'] ?? (existsSync(join(ROOT, 'src/sim/main.ts')) ? join(ROOT, 'bin/tart-sim') : '/work/wt-sim/bin/tart-sim');

let built: Promise<void> | null = null;
export function ensureBuilt(): Promise<void> {
  built ??= run(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).then(() => undefined);
  return built;
}

export interface E2eWorld {
  root: string;
  parent: string;
  env: NodeJS.ProcessEnv;
  tk(args: string[], opts?: { cwd?: string; input?: string }): Promise<{ stdout: string; stderr: string; code: number }>;
  tkChild(args: string[]): ChildProcess;
  tart(args: string[]): string;
  /** Ends OpenSSH ControlMaster processes left by `tk enter`; returns how many. */
  closeMasters(): number;
  cleanup(): Promise<void>;
}

export function e2eWorld(): E2eWorld {
  const { root, parent } = makeRepo('myrepo');
  const base = tempDir('tk-e2e-');
  const home = join(base, 'tkhome');
  mkdirSync(home, { recursive: true });
  const port = 21000 + Math.floor(Math.random() * 20000);
  writeFileSync(
    join(home, 'config.toml'),
    ['agent_install_command = ""', 'credential_proxy_bind = "127.0.0.1"', `credential_proxy_port = ${port}`, 'base_image = "ghcr.io/cirruslabs/ubuntu:latest"', 'vm_cpus = 2', 'vm_memory = 2048', 'boot_timeout_secs = 60', 'share_claude_dirs = []', ''].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: base,
    TK_HOME: home,
    TK_TART: TART,
    TART_HOME: join(base, 'tart'),
    TART_SIM_LEASES: join(base, 'leases.json'),
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@example.invalid',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@example.invalid',
  };
  const w: E2eWorld = {
    root,
    parent,
    env,
    tk(args, opts = {}) {
      return new Promise((res) => {
        const child = execFile(TK, args, { cwd: opts.cwd ?? root, env, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          res({ stdout: String(stdout), stderr: String(stderr), code });
        });
        child.stdin?.end(opts.input ?? '');
      });
    },
    tkChild(args) {
      return spawn(TK, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    },
    tart(args) {
      return execFileSync(TART, args, { env, encoding: 'utf8' });
    },
    closeMasters() {
      const dir = join(home, 'ssh', 'cm');
      if (!existsSync(dir)) return 0;
      let n = 0;
      for (const f of readdirSync(dir)) {
        try {
          execFileSync('ssh', ['-o', `ControlPath=${join(dir, f)}`, '-O', 'exit', 'tk-e2e'], { stdio: 'ignore' });
          n++;
        } catch {
          /* already gone */
        }
      }
      return n;
    },
    async cleanup() {
      w.closeMasters();
      try {
        const vms = JSON.parse(w.tart(['list', '--format', 'json'])) as Array<{ Name: string; Running: boolean; Source: string }>;
        for (const v of vms) if (v.Source === 'local' && v.Running) w.tart(['stop', v.Name]);
      } catch {
        /* nothing to stop */
      }
      await w.tk(['proxy', 'stop']).catch(() => undefined);
      rmSync(base, { recursive: true, force: true });
      rmSync(parent, { recursive: true, force: true });
    },
  };
  return w;
}
