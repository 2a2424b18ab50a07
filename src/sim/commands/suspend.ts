// tart suspend <name>: SIGUSR1 to the `run` process and return at once (fire and forget).
import type { CommandSpec } from '../args.js';
import { runtimeError } from '../errors.js';
import { readLiveLock } from '../lock.js';
import { begin, openLocal } from './common.js';

export const SUSPEND_SPEC: CommandSpec = {
  name: 'suspend',
  abstract: 'Suspend a VM',
  args: [{ name: 'name', help: 'VM name' }],
  options: [],
};

export async function suspend(argv: string[]): Promise<number> {
  const { args } = begin(SUSPEND_SPEC, argv);
  const name = args['name'] as string;
  openLocal(name);
  const lock = readLiveLock(name);
  // Tart wraps the message twice (RuntimeError.VMNotRunning("VM \"x\" is not running")).
  if (!lock) throw runtimeError(`VM "VM "${name}" is not running" is not running`, 2);
  try {
    process.kill(lock.pid, 'SIGUSR1');
  } catch {
    throw runtimeError(`Failed to suspend the VM: failed to send SIGUSR1 signal to the "tart run" process running VM "${name}"`, 1);
  }
  return 0;
}
