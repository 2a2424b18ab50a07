// tart list [--source local|oci] [--format text|json] [-q|--quiet]
import { readdirSync, statSync } from 'node:fs';
import type { CommandSpec } from '../args.js';
import { validationError } from '../errors.js';
import { stateAt, vmDir, vmsDir } from '../home.js';
import { appleJson } from '../json.js';
import { listOci } from '../oci.js';
import { begin, gb, isoDate, out, relativeTime, textTable, vmSizes } from './common.js';

export const LIST_SPEC: CommandSpec = {
  name: 'list',
  abstract: 'List created VMs',
  args: [],
  options: [
    { long: 'source', value: 'source', help: 'Only display VMs from the specified source (e.g. --source local, --source oci).' },
    { long: 'format', value: 'format', help: 'Output format: text or json', choices: ['text', 'json'], default: 'text' },
    { long: 'quiet', short: 'q', help: 'Only display VM names.' },
  ],
};

interface Info {
  Source: string;
  Name: string;
  Disk: number;
  Size: number;
  Accessed: string;
  Running: boolean;
  State: string;
}

function accessDate(dir: string): Date {
  try {
    return statSync(dir).atime;
  } catch {
    return new Date(0);
  }
}

export async function list(argv: string[]): Promise<number> {
  const { opts } = begin(LIST_SPEC, argv);
  const source = opts['source'] as string | undefined;
  if (source !== undefined && source !== 'local' && source !== 'oci') {
    throw validationError(`'${source}' is not a valid <source>`, 'list');
  }
  const json = opts['format'] === 'json';
  const now = new Date();
  const fmt = (d: Date): string => (json ? isoDate(d) : relativeTime(d, now));
  const byName = (a: Info, b: Info): number => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0);
  const infos: Info[] = [];
  if (source === undefined || source === 'local') {
    let names: string[] = [];
    try {
      names = readdirSync(vmsDir());
    } catch {
      /* no vms/ yet */
    }
    const local: Info[] = [];
    for (const name of names) {
      const dir = vmDir(name);
      const sizes = vmSizes(dir);
      if (!sizes) continue; // not a VM: Tart's list skips directories without all three files
      const state = stateAt(dir, name);
      local.push({
        Source: 'local',
        Name: name,
        Disk: gb(sizes.size),
        Size: gb(sizes.allocated),
        Accessed: fmt(accessDate(dir)),
        Running: state === 'running',
        State: state,
      });
    }
    infos.push(...local.sort(byName));
  }
  if (source === undefined || source === 'oci') {
    const oci = listOci().map(
      (e): Info => ({
        Source: 'OCI',
        Name: e.name,
        Disk: gb(vmSizes(e.dir)?.size ?? 0),
        Size: gb(vmSizes(e.dir)?.allocated ?? 0),
        Accessed: fmt(accessDate(e.dir)),
        Running: false,
        State: 'stopped',
      }),
    );
    infos.push(...oci.sort(byName));
  }
  if (opts['quiet']) {
    out(infos.map((i) => `${i.Name}\n`).join(''));
    return 0;
  }
  if (json) out(`${appleJson(infos)}\n`);
  else out(`${textTable(infos as unknown as Record<string, unknown>[], ['Source', 'Name', 'Disk', 'Size', 'Accessed', 'State'])}\n`);
  return 0;
}
