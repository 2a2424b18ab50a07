// tart stop [-t|--timeout <s>] <name>: SIGINT to the `run` process (a hard power-off), poll every
// 100 ms until the lock is free, SIGKILL after the timeout. A suspended VM just loses its snapshot.
import { rmSync } from 'node:fs';
import type { CommandSpec } from '../args.js';
import { runtimeError, vmNotRunning } from '../errors.js';
import { stateAt, statePath } from '../home.js';
import { readLiveLock } from '../lock.js';
import { begin, openLocal } from './common.js';

export const STOP_SPEC: CommandSpec = {
  name: 'stop',
  abstract: 'Stop a VM',
  args: [{ name: 'name', help: 'VM name' }],
  options: [
    { long: 'timeout', short: 't', value: 'timeout', type: 'uint64', help: 'Seconds to wait for graceful termination before forcefully terminating the VM', default: 30 },
  ],
};

export async function stop(argv: string[]): Promise<number> {
  const { args, opts } = begin(STOP_SPEC, argv);
  const name = args['name'] as string;
  const timeout = opts['timeout'] as number;
  const dir = openLocal(name);
  const state = stateAt(dir, name);
  if (state === 'suspended') {
    rmSync(statePath(dir), { force: true });
    return 0;
  }
  if (state === 'stopped') throw vmNotRunning(name);
  let lock = readLiveLock(name);
  if (!lock) throw vmNotRunning(name);
  const pid = lock.pid;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    /* raced with exit: the poll below sees the lock gone */
  }
  let remaining = timeout * 1000;
  while (remaining > 0) {
    lock = readLiveLock(name);
    if (!lock) return 0;
    await new Promise((r) => setTimeout(r, 100));
    remaining -= 100;
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch (e) {
    // Swift's Errno description is strerror(3)'s text.
    const code = (e as NodeJS.ErrnoException).code;
    const text = code === 'EPERM' ? 'Operation not permitted' : code === 'ESRCH' ? 'No such process' : (code ?? 'Unknown error');
    throw runtimeError(`failed to forcefully terminate the VM "${name}": ${text}`, 1);
  }
  return 0;
}
