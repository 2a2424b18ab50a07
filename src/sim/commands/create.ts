// tart create <name> (--linux | --from-ipsw <path>) [--disk-size <GB>] [--disk-format raw|asif]
// Builds the VM in tmp/ and moves it over vms/<name>, silently replacing any VM of that name.
import type { CommandSpec } from '../args.js';
import { otherError, validationError } from '../errors.js';
import { makeTmpEntry, randomMac, releaseTmpEntry } from '../tmp.js';
import { begin, out } from './common.js';
import { installVmDir, writeFreshVm } from './vmfiles.js';

export const CREATE_SPEC: CommandSpec = {
  name: 'create',
  abstract: 'Create a VM',
  args: [{ name: 'name', help: 'VM name' }],
  options: [
    {
      long: 'from-ipsw',
      value: 'path',
      help: 'create a macOS VM using path to the IPSW file or URL (or "latest", to fetch the latest supported IPSW automatically)',
    },
    { long: 'linux', help: 'create a Linux VM' },
    { long: 'disk-size', value: 'disk-size', type: 'uint16', help: 'Disk size in GB', default: 50 },
    { long: 'disk-format', value: 'disk-format', help: 'Disk image format', choices: ['raw', 'asif'], default: 'raw' },
  ],
};

export async function create(argv: string[]): Promise<number> {
  const { args, opts } = begin(CREATE_SPEC, argv);
  const name = args['name'] as string;
  const fromIpsw = opts['from-ipsw'] as string | undefined;
  if (fromIpsw === undefined && !opts['linux']) throw validationError('Please specify either a --from-ipsw or --linux option!', 'create');
  if (opts['disk-format'] === 'asif') throw validationError("Disk format 'asif' is not supported on this system.", 'create');
  const tmp = makeTmpEntry();
  try {
    if (fromIpsw !== undefined) {
      if (fromIpsw === 'latest') out('Looking up the latest supported IPSW...\n');
      throw otherError(
        'The operation couldn’t be completed. (tart-sim: installing macOS from an IPSW is not simulated; ' +
          'clone ghcr.io/cirruslabs/macos-tahoe-base:latest instead)',
      );
    }
    writeFreshVm(tmp, {
      version: 1,
      os: 'linux',
      arch: 'arm64',
      cpuCountMin: 4,
      cpuCount: 4,
      memorySizeMin: 4294967296,
      memorySize: 4294967296,
      macAddress: randomMac(),
      display: { width: 1024, height: 768 },
      diskFormat: 'raw',
    }, opts['disk-size'] as number);
    installVmDir(tmp, name);
  } finally {
    releaseTmpEntry(tmp);
  }
  return 0;
}
