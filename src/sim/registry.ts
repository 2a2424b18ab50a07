// The registry bundled with the sim: a directory ($TART_SIM_REGISTRY, default <dir of tart-sim.js>/registry,
// i.e. dist/sim/registry) that stands in for OCI registries:
//   <reg>/<host, ':' as %3A>/<namespace…>/_tags/<tag>                   text file: sha256:<hex>
//   <reg>/<host>/<namespace…>/_blobs/sha256:<hex>/{config.json,disk.img,nvram.bin,manifest.json}
// A host "resolves" if its directory exists, or it is ghcr.io (seeded on demand with
// cirruslabs/ubuntu, cirruslabs/debian and cirruslabs/macos-tahoe-base, tag latest), or a loopback host.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { otherError } from './errors.js';
import type { VmConfig } from './home.js';
import { formatRemoteName, type RemoteName } from './oci.js';
import { copyVmFiles, writeFreshVm } from './commands/vmfiles.js';

export const DISK_MEDIA_TYPE = 'application/vnd.cirruslabs.tart.disk.v2';
export const NVRAM_MEDIA_TYPE = 'application/vnd.cirruslabs.tart.nvram.v1';
export const CONFIG_MEDIA_TYPE = 'application/vnd.cirruslabs.tart.config.v1';

export interface Manifest {
  schemaVersion: 2;
  mediaType: string;
  config: { mediaType: string; size: number; digest: string };
  layers: { mediaType: string; size: number; digest: string; annotations?: Record<string, string> }[];
  annotations: Record<string, string>;
}

export function registryDir(): string {
  const env = process.env['TART_SIM_REGISTRY'];
  if (env) return env;
  return join(dirname(process.argv[1] ?? '.'), 'registry');
}

const encHost = (h: string): string => h.replaceAll(':', '%3A');
export const repoDir = (r: { host: string; namespace: string }): string => join(registryDir(), encHost(r.host), ...r.namespace.split('/'));
export const blobDir = (r: { host: string; namespace: string }, digest: string): string => join(repoDir(r), '_blobs', digest);
const tagFile = (r: { host: string; namespace: string }, tag: string): string => join(repoDir(r), '_tags', tag);

const sha256 = (data: string | Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

interface Bundled {
  namespace: string;
  config: VmConfig;
  diskGB: number;
  compressedBytes: number;
}
const GIB = 1024 * 1024 * 1024;
const BUNDLED: Bundled[] = [
  {
    namespace: 'cirruslabs/ubuntu',
    config: {
      version: 1, os: 'linux', arch: 'arm64', cpuCountMin: 4, cpuCount: 4, memorySizeMin: 4 * GIB, memorySize: 4 * GIB,
      macAddress: '4e:9a:02:5c:31:a7', display: { width: 1024, height: 768 }, diskFormat: 'raw',
    },
    diskGB: 20,
    compressedBytes: 1_684_212_873,
  },
  {
    namespace: 'cirruslabs/debian',
    config: {
      version: 1, os: 'linux', arch: 'arm64', cpuCountMin: 4, cpuCount: 4, memorySizeMin: 4 * GIB, memorySize: 4 * GIB,
      macAddress: '5a:1e:64:b0:0d:42', display: { width: 1024, height: 768 }, diskFormat: 'raw',
    },
    diskGB: 20,
    compressedBytes: 1_247_530_112,
  },
  {
    namespace: 'cirruslabs/macos-tahoe-base',
    config: {
      version: 1, os: 'darwin', arch: 'arm64',
      ecid: 'YnBsaXN0MDDRAQJURUNJRBMAAV4t8a9DKQgLEAAAAAAAAAEBAAAAAAAAAAMAAAAAAAAAAAAAAAAAAAAZ',
      hardwareModel: 'YnBsaXN0MDDTAQIDBAUGXxAZRGF0YVJlcHJlc2VudGF0aW9uVmVyc2lvbl8QD1BsYXRmb3JtVmVyc2lvbl8QEk1pbmltdW1TdXBwb3J0ZWRPUxQAAAAAAAAAAAAAAAAAAAABEAKjBwgJEA0QAAgPESYyRxgbAAAAAAAAAQEAAAAAAAAACgAAAAAAAAAAAAAAAAAAAFk=',
      cpuCountMin: 4, cpuCount: 4, memorySizeMin: 8 * GIB, memorySize: 8 * GIB,
      macAddress: '92:0c:d7:3e:6b:15', display: { width: 1024, height: 768 }, diskFormat: 'raw',
    },
    diskGB: 50,
    compressedBytes: 25_318_407_245,
  },
];

/** Write an image (directory with config/disk/nvram) into the registry; returns the manifest digest. */
export function storeImage(
  r: { host: string; namespace: string },
  files: { dir: string } | { config: VmConfig; diskGB: number },
  compressedBytes: number,
  diskBytes: number,
  labels: Record<string, string> = {},
): string {
  const staging = join(repoDir(r), `_staging-${process.pid}-${Date.now()}`);
  mkdirSync(staging, { recursive: true });
  try {
    if ('config' in files) writeFreshVm(staging, files.config, files.diskGB);
    else {
      // The guest's overlay upper layer (.sim) travels with the disk: it is the sim VM's real disk content.
      copyVmFiles(files.dir, staging);
      rmSync(join(staging, 'state.vzvmsave'), { force: true });
    }
    const configText = readFileSync(join(staging, 'config.json'));
    const nvram = readFileSync(join(staging, 'nvram.bin'));
    const cfg = JSON.parse(configText.toString('utf8')) as VmConfig;
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: 0, digest: sha256(JSON.stringify({ architecture: cfg.arch, os: cfg.os, labels })) },
      layers: [
        { mediaType: CONFIG_MEDIA_TYPE, size: configText.length, digest: sha256(configText) },
        {
          mediaType: DISK_MEDIA_TYPE,
          size: compressedBytes,
          digest: sha256(`${formatRemoteName({ host: r.host, namespace: r.namespace, reference: { type: 'tag', value: '' } })}:${compressedBytes}:${diskBytes}:${configText.toString('utf8')}`),
          annotations: { 'org.cirruslabs.tart.uncompressed-size': String(diskBytes) },
        },
        { mediaType: NVRAM_MEDIA_TYPE, size: nvram.length, digest: sha256(nvram) },
      ],
      annotations: { 'org.cirruslabs.tart.uncompressed-disk-size': String(diskBytes) },
    };
    const manifestText = JSON.stringify(manifest);
    writeFileSync(join(staging, 'manifest.json'), manifestText);
    const digest = sha256(manifestText);
    const target = blobDir(r, digest);
    if (existsSync(target)) rmSync(staging, { recursive: true, force: true });
    else {
      mkdirSync(dirname(target), { recursive: true });
      try {
        renameSync(staging, target);
      } catch (e) {
        // A concurrent push/seed of the same content won the race: same digest, same bytes.
        if (!existsSync(target)) throw e;
        rmSync(staging, { recursive: true, force: true });
      }
    }
    return digest;
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

export function setTag(r: { host: string; namespace: string }, tag: string, digest: string): void {
  const f = tagFile(r, tag);
  mkdirSync(dirname(f), { recursive: true });
  const tmp = `${f}.${process.pid}.tmp`; // per process: concurrent seeding/pushes must not share it
  writeFileSync(tmp, `${digest}\n`);
  renameSync(tmp, f);
}

function seedIfBundled(r: RemoteName): void {
  if (r.host !== 'ghcr.io' || r.reference.type !== 'tag' || r.reference.value !== 'latest') return;
  const b = BUNDLED.find((x) => x.namespace === r.namespace);
  if (!b || existsSync(tagFile(r, 'latest'))) return;
  const digest = storeImage(r, { config: b.config, diskGB: b.diskGB }, b.compressedBytes, b.diskGB * 1e9);
  setTag(r, 'latest', digest);
}

function hostResolves(host: string): boolean {
  const bare = host.replace(/:\d+$/, '');
  if (bare === 'ghcr.io' || bare === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(bare)) return true;
  return existsSync(join(registryDir(), encHost(host)));
}

/** NSURLErrorCannotFindHost, as Foundation describes it. */
export function hostNotFound(): never {
  throw otherError('A server with the specified hostname could not be found.');
}

export function ensureHost(host: string): void {
  if (!hostResolves(host)) hostNotFound();
}

const MANIFEST_UNKNOWN = '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}';

/** Registry.pullManifest: the manifest and its digest, or Tart's UnexpectedHTTPStatusCode error. */
export function pullManifest(r: RemoteName): { manifest: Manifest; digest: string; dir: string } {
  ensureHost(r.host);
  seedIfBundled(r);
  let digest: string | null = null;
  if (r.reference.type === 'digest') digest = r.reference.value;
  else {
    try {
      digest = readFileSync(tagFile(r, r.reference.value), 'utf8').trim();
    } catch {
      digest = null;
    }
  }
  const dir = digest ? blobDir(r, digest) : null;
  if (!digest || !dir || !existsSync(join(dir, 'manifest.json'))) {
    const details = MANIFEST_UNKNOWN.replaceAll('"', '\\"');
    throw otherError(`UnexpectedHTTPStatusCode(when: "pulling manifest", code: 404, details: "${details}")`);
  }
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  return { manifest, digest, dir };
}

export function compressedDiskSize(m: Manifest): number {
  return m.layers.filter((l) => l.mediaType === DISK_MEDIA_TYPE).reduce((a, l) => a + l.size, 0);
}

