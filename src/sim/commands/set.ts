// tart set <name> [--cpu] [--memory] [--display] [--[no-]display-refit] [--random-mac] [--random-serial]
//                 [--disk <path>] [--disk-size <GB>]
// No running check: config.json is rewritten in place and takes effect at the next boot.
import { openSync, closeSync, ftruncateSync, fstatSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CommandSpec } from '../args.js';
import { otherError, runtimeError } from '../errors.js';
import { diskPath, readConfigAt, writeConfigAt } from '../home.js';
import { makeTmpEntry, randomMac, releaseTmpEntry } from '../tmp.js';
import { begin, openLocal } from './common.js';
import { copyTree } from './vmfiles.js';

export const SET_SPEC: CommandSpec = {
  name: 'set',
  abstract: "Modify VM's configuration",
  args: [{ name: 'name', help: 'VM name' }],
  options: [
    { long: 'cpu', value: 'cpu', type: 'uint16', help: 'Number of VM CPUs' },
    { long: 'memory', value: 'memory', type: 'uint64', help: 'VM memory size in megabytes' },
    {
      long: 'display',
      value: 'display',
      help: 'VM display resolution in a format of WIDTHxHEIGHT[pt|px]. For example, 1200x800, 1200x800pt or 1920x1080px. Units are treated as hints and default to "pt" (points) for macOS VMs and "px" (pixels) for Linux VMs when not specified.',
    },
    { long: 'display-refit', inversion: true, help: "Whether to automatically reconfigure the VM's display to fit the window" },
    { long: 'random-mac', help: 'Generate a new random MAC address for the VM.' },
    { long: 'random-serial', help: 'Generate a new random serial number for the macOS VM.' },
    { long: 'disk', value: 'path', help: "Replace the VM's disk contents with the disk contents at path." },
    {
      long: 'disk-size',
      value: 'disk-size',
      type: 'uint16',
      help: 'Resize the VMs disk to the specified size in GB (note that the disk size can only be increased to avoid losing data)',
    },
  ],
};

// VZVirtualMachineConfiguration's absolute minimums.
const MIN_CPU = 1;
const MIN_MEMORY = 128 * 1024 * 1024;

/** ByteCountFormatter (.file, decimal units, en_US). */
export function byteCount(bytes: number): string {
  if (bytes === 0) return 'Zero KB';
  if (bytes < 1000) return `${bytes} bytes`;
  const units: [number, string, number][] = [
    [1e12, 'TB', 2],
    [1e9, 'GB', 2],
    [1e6, 'MB', 1],
    [1e3, 'KB', 0],
  ];
  for (const [size, unit, decimals] of units) {
    if (bytes >= size || unit === 'KB') {
      return `${Number((bytes / size).toFixed(decimals)).toString()} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}

function parseDisplay(arg: string): { width: number; height: number; unit?: 'pt' | 'px' } {
  let s = arg;
  let unit: 'pt' | 'px' | undefined;
  if (s.endsWith('px')) [s, unit] = [s.slice(0, -2), 'px'];
  else if (s.endsWith('pt')) [s, unit] = [s.slice(0, -2), 'pt'];
  const parts = s.split('x').map((p) => (/^[+-]?\d+$/.test(p) ? Number(p) : 0));
  return unit ? { width: parts[0] ?? 0, height: parts[1] ?? 0, unit } : { width: parts[0] ?? 0, height: parts[1] ?? 0 };
}

/** A new VZMacMachineIdentifier: a binary plist holding a random ECID, base64-encoded. */
function randomEcid(): string {
  return Buffer.concat([Buffer.from('bplist00'), randomBytes(40)]).toString('base64');
}

export async function set(argv: string[]): Promise<number> {
  const { args, opts } = begin(SET_SPEC, argv);
  const name = args['name'] as string;
  const dir = openLocal(name);
  const c = readConfigAt(dir);
  const cpu = opts['cpu'] as number | undefined;
  if (cpu !== undefined) {
    if (c.os === 'darwin' && cpu < c.cpuCountMin) {
      throw otherError(`LessThanMinimalResourcesError: VM should have ${c.cpuCountMin} CPU cores at minimum (requested ${cpu})`);
    }
    if (cpu < MIN_CPU) throw otherError(`LessThanMinimalResourcesError: VM should have ${MIN_CPU} CPU cores at minimum (requested ${cpu})`);
    c.cpuCount = cpu;
  }
  const memory = opts['memory'] as number | undefined;
  if (memory !== undefined) {
    const bytes = memory * 1024 * 1024;
    if (c.os === 'darwin' && bytes < c.memorySizeMin) {
      throw otherError(`LessThanMinimalResourcesError: VM should have ${c.memorySizeMin} bytes of memory at minimum (requested ${bytes})`);
    }
    if (bytes < MIN_MEMORY) throw otherError(`LessThanMinimalResourcesError: VM should have ${MIN_MEMORY} bytes of memory at minimum (requested ${bytes})`);
    c.memorySize = bytes;
  }
  const display = opts['display'] as string | undefined;
  if (display !== undefined) {
    const d = parseDisplay(display);
    const next = { width: d.width > 0 ? d.width : c.display.width, height: d.height > 0 ? d.height : c.display.height };
    c.display = d.unit ? { ...next, unit: d.unit } : next;
  }
  // Tart assigns the optional flag unconditionally: without --[no-]display-refit the key is dropped.
  const refit = opts['display-refit'] as boolean | undefined;
  if (refit === undefined) delete c.displayRefit;
  else c.displayRefit = refit;
  if (opts['random-mac']) c.macAddress = randomMac();
  if (opts['random-serial'] && c.os === 'darwin') c.ecid = randomEcid();
  writeConfigAt(dir, c);

  const disk = opts['disk'] as string | undefined;
  if (disk !== undefined) {
    const tmp = makeTmpEntry();
    try {
      const staged = join(tmp, 'disk.img');
      try {
        copyTree(disk, staged);
      } catch {
        throw otherError(`The file “${disk.split('/').pop()}” couldn’t be opened because there is no such file.`);
      }
      renameSync(staged, diskPath(dir));
    } finally {
      releaseTmpEntry(tmp);
    }
  }
  const diskSize = opts['disk-size'] as number | undefined;
  if (diskSize !== undefined) {
    const fd = openSync(diskPath(dir), 'r+');
    try {
      const current = fstatSync(fd).size;
      const desired = diskSize * 1e9;
      if (desired < current) {
        throw runtimeError(`new disk size of ${byteCount(desired)} should be larger than the current disk size of ${byteCount(current)}`, 1);
      }
      if (desired > current) ftruncateSync(fd, desired);
    } finally {
      closeSync(fd);
    }
  }
  return 0;
}
