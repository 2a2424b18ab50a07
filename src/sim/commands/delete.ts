// tart delete <name>...: in order, stopping at the first failure. Local names refuse running VMs
// ("VM "x" is running", exit 1); remote names remove the cache entry and gc orphaned digests.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandSpec } from '../args.js';
import { vmDoesNotExist, vmIsRunning } from '../errors.js';
import { configPath, tmpDir, vmDir } from '../home.js';
import { acquireRunLock } from '../lock.js';
import { begin } from './common.js';

export const DELETE_SPEC: CommandSpec = {
  name: 'delete',
  abstract: 'Delete a VM',
  args: [{ name: 'name', help: 'VM name', repeating: true }],
  options: [],
};

async function deleteOne(name: string): Promise<void> {
  const { parseRemoteName, ociPath, ociGc } = await import('../oci.js');
  const remote = parseRemoteName(name);
  if (remote) {
    const p = ociPath(remote);
    if (!existsSync(p)) throw vmDoesNotExist(name);
    rmSync(p, { recursive: true, force: true });
    ociGc();
    return;
  }
  const dir = vmDir(name);
  // The lock lives on config.json in Tart: no config.json -> "does not exist".
  if (!existsSync(configPath(dir))) throw vmDoesNotExist(name);
  const lock = acquireRunLock(name);
  if (!lock) throw vmIsRunning(name);
  // Move aside under our lock, then delete: a concurrent `run` cannot start on a half-deleted VM.
  const trash = join(tmpDir(), `delete-${process.pid}-${Date.now()}`);
  mkdirSync(tmpDir(), { recursive: true });
  try {
    renameSync(dir, trash);
  } catch {
    lock.release();
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  rmSync(trash, { recursive: true, force: true });
}

export async function del(argv: string[]): Promise<number> {
  const { args } = begin(DELETE_SPEC, argv);
  for (const name of args['name'] as string[]) await deleteOne(name);
  return 0;
}
