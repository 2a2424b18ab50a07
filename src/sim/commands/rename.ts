// tart rename <name> <new-name>: no running check; the lock follows the directory.
import { renameSync } from 'node:fs';
import type { CommandSpec } from '../args.js';
import { validationError } from '../errors.js';
import { isCompleteVm, vmDir } from '../home.js';
import { begin } from './common.js';

export const RENAME_SPEC: CommandSpec = {
  name: 'rename',
  abstract: 'Rename a local VM',
  args: [
    { name: 'name', help: 'VM name' },
    { name: 'new-name', help: 'new VM name' },
  ],
  options: [],
};

export async function rename(argv: string[]): Promise<number> {
  const { args } = begin(RENAME_SPEC, argv);
  const name = args['name'] as string;
  const newName = args['new-name'] as string;
  if (newName.includes('/')) throw validationError('<new-name> should be a local name', 'rename');
  if (!isCompleteVm(name)) throw validationError(`failed to rename a non-existent local VM: ${name}`, 'rename', true);
  if (isCompleteVm(newName)) {
    throw validationError(`failed to rename VM ${name}, target VM ${newName} already exists, delete it first!`, 'rename', true);
  }
  renameSync(vmDir(name), vmDir(newName));
  return 0;
}
