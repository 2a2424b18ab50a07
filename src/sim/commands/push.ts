// tart push <local-or-remote> <remote>... [--insecure] [--concurrency] [--chunk-size] [--label k=v] [--populate-cache]
// Writes the image into the bundled registry. The source's run lock is held while pushing, so a
// running VM is refused ("VM "x" is running", exit 1) and `run` cannot start meanwhile.
import { existsSync, statSync } from 'node:fs';
import type { CommandSpec } from '../args.js';
import { runtimeError, vmDoesNotExist, vmIsRunning, vmMissingFiles } from '../errors.js';
import { diskPath, isCompleteDir, touchDir } from '../home.js';
import { acquireRunLock, type HeldLock } from '../lock.js';
import { link, ociDigest, ociExists, ociPath, parseRemoteName, remoteNameParseError, withDigest, type RemoteName } from '../oci.js';
import { blobDir, ensureHost, setTag, storeImage } from '../registry.js';
import { allocatedBytes, begin, openLocal, out } from './common.js';
import { cacheImage, progress } from './pulling.js';
import { copyVmFiles } from './vmfiles.js';

export const PUSH_SPEC: CommandSpec = {
  name: 'push',
  abstract: 'Push a VM to a registry',
  args: [
    { name: 'local-name', help: 'local or remote VM name' },
    { name: 'remote-names', help: 'remote VM name(s)', repeating: true },
  ],
  options: [
    { long: 'insecure', help: 'connect to the OCI registry via insecure HTTP protocol' },
    { long: 'concurrency', value: 'concurrency', type: 'uint', help: 'network concurrency to use when pushing a local VM to the OCI-compatible registry', default: 4 },
    { long: 'chunk-size', value: 'chunk-size', type: 'int', help: 'chunk size in MB if registry supports chunked uploads', default: 0 },
    { long: 'label', value: 'label', repeating: true, help: 'additional metadata to attach to the OCI image configuration in key=value format' },
    { long: 'populate-cache', help: 'cache pushed images locally' },
  ],
};

function parseLabels(labels: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const l of labels) {
    const t = l.trim();
    const eq = t.indexOf('=');
    const key = eq >= 0 ? t.slice(0, eq) : t;
    if (key) result[key] = eq >= 0 ? t.slice(eq + 1) : '';
  }
  return result;
}

export async function push(argv: string[]): Promise<number> {
  const { args, opts } = begin(PUSH_SPEC, argv);
  const localName = args['local-name'] as string;
  const sourceRemote = parseRemoteName(localName);
  let dir: string;
  let lock: HeldLock | null = null;
  if (sourceRemote) {
    dir = ociPath(sourceRemote);
    if (!existsSync(dir)) throw vmDoesNotExist(localName);
    if (!isCompleteDir(dir)) throw vmMissingFiles();
    touchDir(dir);
  } else {
    dir = openLocal(localName);
    lock = acquireRunLock(localName);
    if (!lock) throw vmIsRunning(localName);
  }
  try {
    const remotes: RemoteName[] = (args['remote-names'] as string[]).map((n) => {
      const r = parseRemoteName(n);
      if (!r) throw runtimeError(remoteNameParseError(n), 1);
      return r;
    });
    const groups = new Map<string, RemoteName[]>();
    for (const r of remotes) {
      const key = `${r.host}/${r.namespace}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const [key, group] of groups) {
      const first = group[0] as RemoteName;
      const refs = group.map((r) => (r.reference.type === 'tag' ? ':' : '@') + r.reference.value);
      out(`pushing ${localName} to ${key}${refs.length === 1 ? refs[0] : `{${refs.join(',')}}`}...\n`);
      let digest: string;
      if (sourceRemote) {
        // Lightweight push: re-tag the manifest the target repository already has.
        ensureHost(first.host);
        const d = ociDigest(sourceRemote);
        if (!d || !existsSync(blobDir(first, d))) {
          throw runtimeError(`OCI storage error: ${localName} is not a digest and doesn't point to a digest`, 1);
        }
        digest = d;
        for (const r of group) out(`pushing manifest for ${r.reference.value}...\n`);
      } else {
        out('pushing config...\n');
        ensureHost(first.host); // the first request (the config blob) is where an unknown host fails
        out('pushing disk... this will take a while...\n');
        const diskBytes = statSync(diskPath(dir)).size;
        await progress(0);
        out('pushing NVRAM...\n');
        const compressed = Math.max(allocatedBytes(dir), 1);
        digest = storeImage(first, { dir }, compressed, diskBytes, parseLabels(opts['label'] as string[]));
        for (const r of group) out(`pushing manifest for ${r.reference.value}...\n`);
        if (opts['populate-cache']) {
          const digestName = withDigest(first, digest);
          if (!ociExists(digestName)) await cacheImage(digestName, (tmp) => copyVmFiles(dir, tmp));
        }
      }
      for (const r of group) if (r.reference.type === 'tag') setTag(r, r.reference.value, digest);
      if (opts['populate-cache']) {
        const digestName = withDigest(first, digest);
        for (const r of group) if (r.reference.type === 'tag' && ociExists(digestName)) link(r, digestName);
      }
    }
  } finally {
    lock?.release();
  }
  return 0;
}
