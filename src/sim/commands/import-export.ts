// tart export <name> [path] / tart import <path> <name>. A .tvm here is a sparse-aware gzip'd tar of
// the VM directory (config, disk, NVRAM and the sim's overlay upper layer), not Apple Archive.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import type { CommandSpec } from '../args.js';
import { runtimeError, validationError } from '../errors.js';
import { listVmNames, readConfigAt, readVmConfig, writeConfigAt } from '../home.js';
import { makeTmpEntry, randomMac, releaseTmpEntry } from '../tmp.js';
import { withHomeLock } from '../lock.js';
import { begin, openLocal, out } from './common.js';
import { readLine } from './stdin.js';
import { installVmDir } from './vmfiles.js';

export const EXPORT_SPEC: CommandSpec = {
  name: 'export',
  abstract: 'Export VM to a compressed .tvm file',
  args: [
    { name: 'name', help: 'Source VM name.' },
    { name: 'path', help: 'Path to the destination file.', optional: true },
  ],
  options: [],
};
export const IMPORT_SPEC: CommandSpec = {
  name: 'import',
  abstract: 'Import VM from a compressed .tvm file',
  args: [
    { name: 'path', help: 'Path to a file created with "tart export".' },
    { name: 'name', help: 'Destination VM name.' },
  ],
  options: [],
};

export async function exportVm(argv: string[]): Promise<number> {
  const { args } = begin(EXPORT_SPEC, argv);
  const name = args['name'] as string;
  let path = args['path'] as string | undefined;
  if (path === undefined) {
    path = `${name}.tvm`;
    if (existsSync(path)) {
      out(`file ${path} already exists, are you sure you want to overwrite it? (yes, [no])? `);
      if (readLine() !== 'yes') return 0;
    }
  }
  out('exporting...\n');
  const dir = openLocal(name);
  const files = readdirSync(dir).filter((f) => ['config.json', 'disk.img', 'nvram.bin', '.sim'].includes(f));
  const r = spawnSync('tar', ['-C', dir, '--exclude=.sim/run.lock', '--exclude=.sim/work', '--xattrs', '-cSzf', path, ...files], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0) throw runtimeError(`VM export failed: ${String(r.stderr).trim()}`, 1);
  return 0;
}

export async function importVm(argv: string[]): Promise<number> {
  const { args } = begin(IMPORT_SPEC, argv);
  const path = args['path'] as string;
  const name = args['name'] as string;
  if (name.includes('/')) throw validationError('<name> should be a local name', 'import');
  const tmp = makeTmpEntry();
  try {
    out('importing...\n');
    const r = spawnSync('tar', ['-C', tmp, '--xattrs', '-xSzf', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw runtimeError(`VM import failed: ${String(r.stderr).trim()}`, 1);
    await withHomeLock(() => {
      const mac = readConfigAt(tmp).macAddress;
      if (listVmNames().some((n) => readVmConfig(n).macAddress === mac)) {
        const c = readConfigAt(tmp);
        c.macAddress = randomMac();
        writeConfigAt(tmp, c);
      }
      installVmDir(tmp, name);
    });
  } finally {
    releaseTmpEntry(tmp);
  }
  return 0;
}
