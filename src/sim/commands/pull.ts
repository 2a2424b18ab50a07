// tart pull <remote-name> [--insecure] [--concurrency <n>]
import type { CommandSpec } from '../args.js';
import { runtimeError, validationError } from '../errors.js';
import { isCompleteVm } from '../home.js';
import { formatRemoteName, parseRemoteName, remoteNameParseError } from '../oci.js';
import { begin, out } from './common.js';
import { pullImage } from './pulling.js';

export const PULL_SPEC: CommandSpec = {
  name: 'pull',
  abstract: 'Pull a VM from a registry',
  args: [{ name: 'remote-name', help: 'remote VM name' }],
  options: [
    { long: 'insecure', help: 'connect to the OCI registry via insecure HTTP protocol' },
    { long: 'concurrency', value: 'concurrency', type: 'uint', help: 'network concurrency to use when pulling a remote VM from the OCI-compatible registry', default: 4 },
    { long: 'deduplicate', help: '', hidden: true },
  ],
};

export async function pull(argv: string[]): Promise<number> {
  const { args, opts } = begin(PULL_SPEC, argv, { gc: false });
  if ((opts['concurrency'] as number) < 1) throw validationError('network concurrency cannot be less than 1', 'pull');
  const name = args['remote-name'] as string;
  if (isCompleteVm(name)) {
    out(`"${name}" is a local image, nothing to pull here!\n`);
    return 0;
  }
  const remote = parseRemoteName(name);
  if (!remote) throw runtimeError(remoteNameParseError(name), 1);
  out(`pulling ${formatRemoteName(remote)}...\n`);
  await pullImage(remote);
  return 0;
}
