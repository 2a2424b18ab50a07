// tart clone <source> <new-name>: an uncached remote source is pulled first (same lines as `pull`
// minus the first); files are copied into tmp/ and moved over vms/<new-name> under the global
// TART_HOME lock, silently replacing an existing VM. A new MAC is generated when another local VM
// already has the source's MAC, except for a suspended source (MAC and state.vzvmsave kept).
import { existsSync } from 'node:fs';
import type { CommandSpec } from '../args.js';
import { validationError, vmDoesNotExist, vmMissingFiles } from '../errors.js';
import { isCompleteDir, listVmNames, readConfigAt, readVmConfig, stateAt, touchDir, writeConfigAt } from '../home.js';
import { makeTmpEntry, randomMac, releaseTmpEntry } from '../tmp.js';
import { withHomeLock } from '../lock.js';
import { ociExists, ociPath, parseRemoteName } from '../oci.js';
import { begin, openLocal } from './common.js';
import { pullImage } from './pulling.js';
import { copyVmFiles, installVmDir } from './vmfiles.js';

export const CLONE_SPEC: CommandSpec = {
  name: 'clone',
  abstract: 'Clone a VM',
  args: [
    { name: 'source-name', help: 'source VM name' },
    { name: 'new-name', help: 'new VM name' },
  ],
  options: [
    { long: 'insecure', help: 'connect to the OCI registry via insecure HTTP protocol' },
    { long: 'concurrency', value: 'concurrency', type: 'uint', help: 'network concurrency to use when pulling a remote VM from the OCI-compatible registry', default: 4 },
    { long: 'deduplicate', help: '', hidden: true },
    { long: 'prune-limit', value: 'n', type: 'uint', help: 'limit automatic pruning to n gigabytes', default: 100 },
  ],
};

/** VMStorageHelper.open: a remote name opens the OCI cache entry, anything else a local VM. */
function openSource(name: string): { dir: string; local: string | null } {
  const remote = parseRemoteName(name);
  if (!remote) return { dir: openLocal(name), local: name };
  const dir = ociPath(remote);
  if (!existsSync(dir)) throw vmDoesNotExist(name);
  if (!isCompleteDir(dir)) throw vmMissingFiles();
  touchDir(dir);
  return { dir, local: null };
}

export async function clone(argv: string[]): Promise<number> {
  const { args, opts } = begin(CLONE_SPEC, argv, { gc: false });
  const source = args['source-name'] as string;
  const newName = args['new-name'] as string;
  if (newName.includes('/')) throw validationError('<new-name> should be a local name', 'clone');
  if ((opts['concurrency'] as number) < 1) throw validationError('network concurrency cannot be less than 1', 'clone');
  const remote = parseRemoteName(source);
  if (remote && !ociExists(remote)) await pullImage(remote);
  const src = openSource(source);
  const tmp = makeTmpEntry();
  try {
    await withHomeLock(() => {
      const mac = readConfigAt(src.dir).macAddress;
      const suspended = src.local !== null && stateAt(src.dir, src.local) === 'suspended';
      const collides = listVmNames().some((n) => {
        try {
          return readVmConfig(n).macAddress === mac;
        } catch {
          return false;
        }
      });
      copyVmFiles(src.dir, tmp);
      if (collides && !suspended) {
        const c = readConfigAt(tmp);
        c.macAddress = randomMac();
        writeConfigAt(tmp, c);
      }
      installVmDir(tmp, newName);
    });
  } finally {
    releaseTmpEntry(tmp);
  }
  return 0;
}
