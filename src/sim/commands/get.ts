// tart get <name> [--format text|json]
import type { CommandSpec } from '../args.js';
import { readConfigAt, stateAt } from '../home.js';
import { appleJson } from '../json.js';
import { allocatedBytes, begin, gb, openLocal, out, sizeBytes, textTable } from './common.js';

export const GET_SPEC: CommandSpec = {
  name: 'get',
  abstract: "Get a VM's configuration",
  args: [{ name: 'name', help: 'VM name.' }],
  options: [{ long: 'format', value: 'format', help: 'Output format: text or json', choices: ['text', 'json'], default: 'text' }],
};

export async function get(argv: string[]): Promise<number> {
  const { args, opts } = begin(GET_SPEC, argv);
  const name = args['name'] as string;
  const dir = openLocal(name);
  const c = readConfigAt(dir);
  const state = stateAt(dir, name);
  const info = {
    OS: c.os,
    CPU: c.cpuCount,
    Memory: Math.trunc(c.memorySize / 1024 / 1024),
    Disk: gb(sizeBytes(dir)),
    DiskFormat: c.diskFormat,
    Size: (allocatedBytes(dir) / 1e9).toFixed(3),
    Display: `${c.display.width}x${c.display.height}${c.display.unit ?? ''}`,
    Running: state === 'running',
    State: state,
  };
  if (opts['format'] === 'json') out(`${appleJson(info)}\n`);
  else out(`${textTable([info], ['OS', 'CPU', 'Memory', 'Disk', 'DiskFormat', 'Size', 'Display', 'State'])}\n`);
  return 0;
}
