// HostFiles: the engine's host-side files under TK_HOME (logs, per-VM dirs, tk's SSH key,
// known_hosts) and the user's Claude Code files it shares or copies.
import { appendFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import ssh2 from 'ssh2';
import type { HostFiles } from '../ports/host.js';
import { logPath, vmDir, type TkPaths } from './paths.js';
import { checkoutOf, readScriptInside } from './repo-files.js';

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function createHostFiles(paths: TkPaths, env: NodeJS.ProcessEnv = process.env): HostFiles {
  const userHome = env['HOME'] || homedir();
  const claudeHome = join(userHome, '.claude');
  return {
    appendLog(vm, text) {
      const p = logPath(paths.home, vm);
      mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
      appendFileSync(p, text.endsWith('\n') ? text : text + '\n', { mode: 0o600 });
    },
    logPath: (vm) => logPath(paths.home, vm),
    ensureStatusDir(vm) {
      const p = join(vmDir(paths.home, vm), 'status');
      mkdirSync(p, { recursive: true, mode: 0o700 });
      return p;
    },
    async ensureSshKey() {
      const keyPath = paths.sshKey;
      const pubPath = `${keyPath}.pub`;
      if (!existsSync(keyPath) || !existsSync(pubPath)) {
        mkdirSync(dirname(keyPath), { recursive: true, mode: 0o700 });
        const kp = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'tk' });
        // Written beside, then hard-linked into place: concurrent tk processes agree on one key.
        const tmp = `${keyPath}.${process.pid}.tmp`;
        writeFileSync(tmp, kp.private, { mode: 0o600 });
        writeFileSync(`${tmp}.pub`, kp.public + '\n', { mode: 0o644 });
        try {
          linkSync(`${tmp}.pub`, pubPath);
          try {
            linkSync(tmp, keyPath);
          } catch {
            /* another process won the private key race too */
          }
        } catch {
          /* another process created the key first */
        }
        rmSync(tmp, { force: true });
        rmSync(`${tmp}.pub`, { force: true });
      }
      return { keyPath, publicKey: readFileSync(pubPath, 'utf8').trim() };
    },
    knownHostsPath: (vm) => join(vmDir(paths.home, vm), 'known_hosts'),
    writeKnownHosts(vm, hostPattern, hostKey) {
      const p = join(vmDir(paths.home, vm), 'known_hosts');
      if (hostKey === null) {
        if (existsSync(p)) unlinkSync(p);
        return;
      }
      mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
      writeFileSync(p, `${hostPattern} ${hostKey}\n`, { mode: 0o600 });
    },
    controlPath(vm) {
      void vm;
      // OpenSSH's socket path limit is ~104 bytes incl. a 17-char temp suffix: %C is 40 hex chars.
      const inHome = join(paths.home, 'ssh', 'cm');
      const dir = inHome.length + 1 + 40 + 17 < 100 ? inHome : join('/tmp', `tk-cm-${process.getuid?.() ?? 0}`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return join(dir, '%C');
    },
    existingClaudeDirs(dirs) {
      return dirs.filter((d) => /^[A-Za-z0-9_-]+$/.test(d) && isDir(join(claudeHome, d))).map((d) => ({ name: d, path: join(claudeHome, d) }));
    },
    readClaudeSettings() {
      try {
        return readFileSync(join(claudeHome, 'settings.json'), 'utf8');
      } catch {
        return null;
      }
    },
    readScripts(list) {
      const scripts: Array<{ path: string; content: string }> = [];
      const missing: string[] = [];
      const profiles = join(paths.home, 'profiles');
      if (isDir(profiles)) {
        for (const f of readdirSync(profiles).filter((n) => n.endsWith('.sh')).sort()) {
          const p = join(profiles, f);
          scripts.push({ path: p, content: readFileSync(p, 'utf8') });
        }
      }
      for (const p of list) {
        // Never follows a guest-made symlink out of the checkout, never blocks on a FIFO
        // (src/adapters/repo-files.ts); a refused script is reported with the reason.
        try {
          scripts.push({ path: p, content: readScriptInside(p, checkoutOf(p)) });
        } catch (e) {
          missing.push(existsSync(p) ? `${p} (${(e as Error).message})` : p);
        }
      }
      return { scripts, missing };
    },
    gitDir(mainRoot) {
      const p = join(mainRoot, '.git');
      return isDir(p) ? p : null;
    },
    removeVmFiles(vm) {
      const lp = logPath(paths.home, vm);
      const had = existsSync(lp);
      rmSync(lp, { force: true });
      rmSync(vmDir(paths.home, vm), { recursive: true, force: true });
      return { logsRemoved: had };
    },
  };
}
