// tart prune [--entries caches|vms] [--older-than <days>] [--space-budget <GB>] [--cache-budget <GB> (deprecated)] [--gc]
import { writeErr } from '../io.js';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandSpec } from '../args.js';
import { validationError } from '../errors.js';
import { listVmNames, tartHome, vmDir } from '../home.js';
import { acquireRunLock, readLiveLock } from '../lock.js';
import { listOci, ociGc } from '../oci.js';
import { allocatedBytes, begin } from './common.js';

export const PRUNE_SPEC: CommandSpec = {
  name: 'prune',
  abstract: 'Prune OCI and IPSW caches or local VMs',
  args: [],
  options: [
    { long: 'entries', value: 'entries', help: 'Entries to remove: "caches" targets OCI and IPSW caches and "vms" targets local VMs.', default: 'caches' },
    { long: 'older-than', value: 'n', type: 'uint', help: 'Remove entries that were last accessed more than n days ago' },
    { long: 'cache-budget', value: 'cache-budget', type: 'uint', help: '', hidden: true },
    {
      long: 'space-budget',
      value: 'n',
      type: 'uint',
      help: 'Remove the least recently used entries that do not fit the specified space size budget n, expressed in gigabytes',
    },
    { long: 'gc', help: '', hidden: true },
  ],
};

interface Prunable {
  path: string;
  accessed: number;
  bytes: number;
  remove(): void;
}

function atime(p: string): number {
  try {
    return statSync(p).atimeMs;
  } catch {
    return 0;
  }
}

function cachePrunables(): Prunable[] {
  const oci = listOci()
    .filter((e) => !e.isSymlink)
    .map((e) => ({ path: e.dir, accessed: atime(e.dir), bytes: allocatedBytes(e.dir), remove: () => rmSync(e.dir, { recursive: true, force: true }) }));
  const ipswDir = join(tartHome(), 'cache', 'IPSWs');
  let ipsws: Prunable[] = [];
  try {
    ipsws = readdirSync(ipswDir)
      .filter((f) => f.endsWith('.ipsw'))
      .map((f) => {
        const p = join(ipswDir, f);
        return { path: p, accessed: atime(p), bytes: statSync(p).blocks * 512, remove: () => rmSync(p, { force: true }) };
      });
  } catch {
    /* no IPSW cache */
  }
  return [...oci, ...ipsws];
}

function vmPrunables(): Prunable[] {
  const result: Prunable[] = [];
  for (const name of listVmNames()) {
    const dir = vmDir(name);
    result.push({
      path: dir,
      accessed: atime(dir),
      bytes: allocatedBytes(dir),
      remove: () => {
        // Never prune a running VM; hold its lock while deleting.
        const lock = acquireRunLock(name);
        if (!lock) return;
        rmSync(dir, { recursive: true, force: true });
      },
    });
  }
  return result;
}

export async function prune(argv: string[]): Promise<number> {
  const { opts } = begin(PRUNE_SPEC, argv);
  let spaceBudget = opts['space-budget'] as number | undefined;
  const cacheBudget = opts['cache-budget'] as number | undefined;
  if (cacheBudget !== undefined) {
    writeErr('--cache-budget is deprecated, please use --space-budget\n');
    if (spaceBudget !== undefined) throw validationError('--cache-budget is deprecated, please use --space-budget', 'prune');
    spaceBudget = cacheBudget;
  }
  const olderThan = opts['older-than'] as number | undefined;
  if (olderThan === undefined && spaceBudget === undefined && !opts['gc']) {
    throw validationError('at least one pruning criteria must be specified', 'prune');
  }
  if (opts['gc']) ociGc();
  const entries = opts['entries'] as string;
  let prunables: () => Prunable[];
  if (entries === 'caches') prunables = cachePrunables;
  else if (entries === 'vms') prunables = () => vmPrunables().filter((p) => !isRunningDir(p.path));
  else throw validationError('unsupported --entries value, please specify either "caches" or "vms"', 'prune', true);

  if (olderThan !== undefined) {
    const cutoff = Date.now() - olderThan * 86400 * 1000;
    for (const p of prunables()) if (p.accessed <= cutoff) p.remove();
  }
  if (spaceBudget !== undefined) {
    let budget = spaceBudget * 1024 * 1024 * 1024;
    const sorted = prunables().sort((a, b) => b.accessed - a.accessed);
    const doomed: Prunable[] = [];
    for (const p of sorted) {
      if (p.bytes <= budget) budget -= p.bytes;
      else doomed.push(p);
    }
    for (const p of doomed) p.remove();
  }
  return 0;
}

function isRunningDir(dir: string): boolean {
  return readLiveLock(dir.slice(dir.lastIndexOf('/') + 1)) !== null;
}
