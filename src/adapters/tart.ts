// TartPort over the `tart` CLI (execa): argv only (never a shell), JSON parsed (key order never
// relied on), a timeout on every call, a TartError with stderr on failure. `run` is detached
// (own session via setsid semantics of `detached: true`), its output appended to the VM's log.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { TartError } from '../core/errors.js';
import type { TartVmInfo } from '../core/model.js';
import type { TartPort, TartRunOptions, TartSetOptions } from '../ports/tart.js';
import { parseTartList } from './tart-list.js';

export interface TartAdapterOptions {
  tartPath: string;
  env?: NodeJS.ProcessEnv;
  /** Default timeout per call (ms). */
  timeoutMs?: number;
}

const NOT_FOUND_HINT = 'Install Tart (brew install cirruslabs/cli/tart), or point tk at a tart binary with TK_TART or the tart_path config key.';

export function createTart(opts: TartAdapterOptions): TartPort {
  const env = opts.env ?? process.env;
  const base = opts.timeoutMs ?? 60_000;

  async function tart(args: string[], o: { timeoutMs?: number; signal?: AbortSignal; what?: string } = {}): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const r = await execa(opts.tartPath, args, {
      env,
      extendEnv: false,
      reject: false,
      timeout: o.timeoutMs ?? base,
      stdin: 'ignore',
      stripFinalNewline: false,
      ...(o.signal ? { cancelSignal: o.signal } : {}),
    });
    if (r.failed && (r as { code?: string }).code === 'ENOENT') {
      throw new TartError(`Cannot run tart (${opts.tartPath}): not found.`, { argv: args, exitCode: null, stderr: '', hint: NOT_FOUND_HINT });
    }
    if (r.timedOut) throw new TartError(`tart ${args[0]} timed out after ${Math.round((o.timeoutMs ?? base) / 1000)} s.`, { argv: args, exitCode: null, stderr: String(r.stderr ?? '') });
    if (r.isCanceled) throw new TartError(`tart ${args[0]} was interrupted.`, { argv: args, exitCode: null, stderr: '' });
    return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? 1 };
  }

  function fail(args: string[], r: { stderr: string; stdout: string; exitCode: number }, what: string, hint?: string): never {
    const detail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(0, 3).join(' ');
    throw new TartError(`${what}: ${detail || `exit ${r.exitCode}`}`, { argv: args, exitCode: r.exitCode, stderr: r.stderr, ...(hint ? { hint } : {}) });
  }

  return {
    async list(signal) {
      const args = ['list', '--format', 'json'];
      const r = await tart(args, { timeoutMs: 30_000, ...(signal ? { signal } : {}) });
      if (r.exitCode !== 0) fail(args, r, 'tart list failed');
      try {
        return parseTartList(r.stdout);
      } catch (e) {
        throw new TartError(`Could not parse the output of tart list: ${(e as Error).message}`, { argv: args, exitCode: 0, stderr: r.stderr });
      }
    },
    async get(name) {
      const args = ['get', name, '--format', 'json'];
      const r = await tart(args, { timeoutMs: 30_000 });
      if (r.exitCode !== 0) fail(args, r, `tart get ${name} failed`);
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(r.stdout) as Record<string, unknown>;
      } catch (e) {
        throw new TartError(`Could not parse the output of tart get: ${(e as Error).message}`, { argv: args, exitCode: 0, stderr: r.stderr });
      }
      const state = String(o['State'] ?? '').toLowerCase();
      const info: TartVmInfo = {
        os: o['OS'] === 'darwin' ? 'darwin' : 'linux',
        cpu: Number(o['CPU']) || 0,
        memoryMb: Number(o['Memory']) || 0,
        diskGb: Number(o['Disk']) || 0,
        sizeGb: Number(o['Size']) || 0,
        display: String(o['Display'] ?? ''),
        state: state === 'running' || state === 'suspended' ? state : 'stopped',
      };
      return info;
    },
    async clone(source, name, signal) {
      const args = ['clone', source, name];
      const r = await tart(args, { timeoutMs: 60 * 60_000, ...(signal ? { signal } : {}) });
      if (r.exitCode !== 0) fail(args, r, `tart clone ${source} failed`, `Check base_image (${source}): \`tart list\` shows local images; remote ones are pulled (network needed).`);
    },
    async set(name, o: TartSetOptions) {
      const args = ['set', name];
      if (o.cpu !== undefined) args.push('--cpu', String(o.cpu));
      if (o.memoryMb !== undefined) args.push('--memory', String(o.memoryMb));
      if (o.display !== undefined) args.push('--display', o.display);
      if (o.randomMac) args.push('--random-mac');
      const r = await tart(args);
      if (r.exitCode !== 0) fail(args, r, `tart set ${name} failed`, 'Check vm_cpus and vm_memory (macOS images have minimums).');
    },
    async run(name, o: TartRunOptions) {
      const args = ['run'];
      if (o.noGraphics) args.push('--no-graphics');
      if (o.suspendable) args.push('--suspendable');
      for (const d of o.dirs) args.push(`--dir=${d}`);
      args.push(name);
      mkdirSync(dirname(o.logFile), { recursive: true, mode: 0o700 });
      const fd = openSync(o.logFile, 'a', 0o600);
      try {
        await new Promise<void>((resolve, reject) => {
          const child = spawn(opts.tartPath, args, { env, detached: true, stdio: ['ignore', fd, fd] });
          child.once('error', (e) =>
            reject(new TartError(`Failed to start tart run: ${e.message}`, { argv: args, exitCode: null, stderr: '', ...((e as NodeJS.ErrnoException).code === 'ENOENT' ? { hint: NOT_FOUND_HINT } : {}) })),
          );
          child.once('spawn', () => {
            child.unref();
            resolve();
          });
        });
      } finally {
        closeSync(fd);
      }
    },
    async ip(name, waitSecs, signal) {
      const args = ['ip', name, '--wait', String(Math.max(0, Math.floor(waitSecs)))];
      const r = await tart(args, { timeoutMs: (waitSecs + 10) * 1000, ...(signal ? { signal } : {}) });
      if (r.exitCode !== 0) return null;
      const ip = r.stdout.trim();
      return /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) ? ip : null;
    },
    async stop(name, timeoutSecs = 30) {
      const args = ['stop', '--timeout', String(timeoutSecs), name];
      const r = await tart(args, { timeoutMs: (timeoutSecs + 15) * 1000 });
      if (r.exitCode !== 0 && !/is not running/.test(r.stderr + r.stdout)) fail(args, r, `tart stop ${name} failed`);
    },
    async suspend(name) {
      const args = ['suspend', name];
      const r = await tart(args);
      if (r.exitCode !== 0) fail(args, r, `tart suspend ${name} failed`);
    },
    async delete(name) {
      const args = ['delete', name];
      const r = await tart(args);
      if (r.exitCode !== 0) fail(args, r, `tart delete ${name} failed`);
    },
  };
}
