// `tk doctor`'s probes: run a program with a timeout, look at TK_HOME and the state file. Read only:
// nothing here creates, writes or repairs anything.
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DirProbe, ProbeResult, StateProbe } from '../core/doctor.js';
import { TkError } from '../core/errors.js';
import { parseState } from '../core/state.js';

/** Runs `bin args` (no shell) and resolves with what it printed, or why it did not answer in time. */
export function runProbe(bin: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(bin, args, { env: opts.env, timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20, windowsHide: true }, (err, stdout, stderr) => {
      if (!err) return resolve({ kind: 'ran', code: 0, stdout: String(stdout), stderr: String(stderr) });
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
      if (e.code === 'ENOENT') return resolve({ kind: 'missing' });
      if (e.killed) return resolve({ kind: 'timeout', ms: opts.timeoutMs });
      if (typeof e.code === 'number') return resolve({ kind: 'ran', code: e.code, stdout: String(stdout), stderr: String(stderr) });
      resolve({ kind: 'error', message: e.message });
    });
  });
}

const writable = (p: string): boolean => {
  try {
    accessSync(p, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Whether tk can write in `home`, or create it (its nearest existing ancestor is writable). */
export function probeDir(home: string): DirProbe {
  let p = home;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch {
      const up = dirname(p);
      if (up === p) return { kind: 'not-writable', path: p };
      p = up;
      continue;
    }
    if (!st.isDirectory()) return { kind: 'not-dir', path: p };
    if (!writable(p)) return { kind: 'not-writable', path: p };
    return p === home ? { kind: 'writable' } : { kind: 'creatable', ancestor: p };
  }
}

/** Reads and parses the state file (without the store's import or corrupt-file backup). */
export function probeState(file: string): StateProbe {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    return { kind: 'unreadable', error: (e as Error).message };
  }
  try {
    return { kind: 'ok', vms: parseState(text, file).vms.length };
  } catch (e) {
    // A file written by a newer tk carries its own advice (upgrade); for corrupt ones the default fix applies.
    const hint = e instanceof TkError && !/corrupt/.test(e.message) ? e.hint : undefined;
    return { kind: 'corrupt', error: (e as Error).message, ...(hint ? { hint } : {}) };
  }
}
