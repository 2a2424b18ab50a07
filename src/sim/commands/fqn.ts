// tart fqn <name> (hidden): host/namespace@sha256:… for a cached remote name; a local name is echoed.
import type { CommandSpec } from '../args.js';
import { runtimeError } from '../errors.js';
import { formatRemoteName, ociDigest, parseRemoteName, withDigest } from '../oci.js';
import { begin, out } from './common.js';

export const FQN_SPEC: CommandSpec = {
  name: 'fqn',
  abstract: 'Get a fully-qualified VM name',
  args: [{ name: 'name', help: 'VM name' }],
  options: [],
};

export async function fqn(argv: string[]): Promise<number> {
  const { args } = begin(FQN_SPEC, argv);
  const name = args['name'] as string;
  const remote = parseRemoteName(name);
  if (!remote) {
    out(`${name}\n`);
    return 0;
  }
  const digest = ociDigest(remote);
  if (!digest) throw runtimeError(`OCI storage error: ${formatRemoteName(remote)} is not a digest and doesn't point to a digest`, 1);
  out(`${formatRemoteName(withDigest(remote, digest))}\n`);
  return 0;
}
