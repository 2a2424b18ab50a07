// Host sources for the credential waterfall (src/core/credentials.ts).
// - macOS keychain through `security` (only on darwin; the service name is the only argument,
//   the secret comes back on stdout);
// - environment variables;
// - ~/.claude/.credentials.json;
// - trusted `credential_command` / `api_key_command` through `sh -c` (the config loader only passes
//   them when they come from a trusted layer; their output is the secret, never an argument).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CredentialSources } from '../core/credentials.js';

export interface HostSourceOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
  /** Per command/keychain call, ms. */
  timeoutMs?: number;
  /** Where failures are reported (never with secrets). */
  log?: (line: string) => void;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 1024 * 1024, windowsHide: true }, (err, stdout) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout: String(stdout ?? '') });
    });
  });
}

export function hostCredentialSources(opts: HostSourceOptions = {}): CredentialSources {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const home = opts.home ?? env['HOME'] ?? homedir();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const log = opts.log ?? (() => {});
  return {
    async keychain(service) {
      if (platform !== 'darwin') return undefined;
      const r = await run('security', ['find-generic-password', '-s', service, '-w'], env, timeoutMs);
      return r.code === 0 ? r.stdout.trim() || undefined : undefined;
    },
    env(name) {
      const v = env[name];
      return v === undefined || v === '' ? undefined : v;
    },
    async credentialsFile() {
      try {
        return await readFile(join(home, '.claude', '.credentials.json'), 'utf8');
      } catch {
        return undefined;
      }
    },
    async runCommand(command) {
      const r = await run('sh', ['-c', command], env, timeoutMs);
      if (r.code !== 0) {
        log(`credential command failed (exit ${r.code ?? 'timeout/signal'}); its output is not logged`);
        return undefined;
      }
      return r.stdout.trim() || undefined;
    },
  };
}
