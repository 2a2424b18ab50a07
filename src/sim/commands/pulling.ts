// VMStorageOCI.pull: fetch an image from the bundled registry into cache/OCIs, printing Tart's lines.
import { writeOut } from '../io.js';
import { existsSync, mkdirSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { touchDir } from '../home.js';
import { makeTmpEntry, releaseTmpEntry } from '../tmp.js';
import { tryAcquireFileLock } from '../lock.js';
import { formatRemoteName, link, linked, ociExists, ociHostDir, ociPath, withDigest, type RemoteName } from '../oci.js';
import { compressedDiskSize, pullManifest } from '../registry.js';
import { copyTree } from './vmfiles.js';

/** Progress lines like ProgressObserver: "0%" first, then new values at most once a second, always "100%". */
export async function progress(totalMs: number): Promise<void> {
  const interactive = process.env['CI'] === undefined;
  const line = (s: string, first: boolean): void => {
    writeOut(first || !interactive ? `${s}\n` : `\x1b[1A\r\x1b[J${s}\n`);
  };
  line('0%', true);
  let last = '0%';
  const start = Date.now();
  while (Date.now() - start < totalMs) {
    await new Promise((r) => setTimeout(r, Math.min(1000, totalMs)));
    const pct = `${Math.min(100, Math.trunc((100 * (Date.now() - start)) / totalMs))}%`;
    if (pct !== last && pct !== '100%') {
      line(pct, false);
      last = pct;
    }
  }
  if (last !== '100%') line('100%', false);
}

function pullDurationMs(): number {
  const v = Number(process.env['TART_SIM_PULL_MS'] ?? '0');
  return Number.isFinite(v) && v > 0 ? v : 0;
}

export async function pullImage(remote: RemoteName): Promise<void> {
  const say = (s: string): void => void writeOut(`${s}\n`);
  say('pulling manifest...');
  const { manifest, digest, dir: blob } = pullManifest(remote);
  const digestName = withDigest(remote, digest);
  if (ociExists(remote) && ociExists(digestName) && (remote.reference.type === 'digest' || linked(remote, digestName))) {
    say(`${formatRemoteName(digestName)} image is already cached and linked!`);
    return;
  }
  const hostDir = ociHostDir(digestName);
  mkdirSync(hostDir, { recursive: true });
  const lockPath = join(hostDir, '.sim-pull.lock');
  let lock = tryAcquireFileLock(lockPath);
  if (!lock) {
    say('waiting for lock...');
    while (!lock) {
      await new Promise((r) => setTimeout(r, 50));
      lock = tryAcquireFileLock(lockPath);
    }
  }
  try {
    if (!ociExists(digestName)) {
      await cacheImage(digestName, async (tmp) => {
        // The tag's previous image is now outdated: date its access to the epoch so that pruning
        // picks it first (Tart opens it with Date(timeIntervalSince1970: 0)).
        if (ociExists(remote)) {
          try {
            utimesSync(ociPath(remote), new Date(0), statSync(ociPath(remote)).mtime);
          } catch {
            /* raced with a delete */
          }
        }
        const gb = (compressedDiskSize(manifest) / 1e9).toFixed(1);
        say(`pulling disk (${gb} GB compressed)...`);
        copyTree(join(blob, 'config.json'), join(tmp, 'config.json'));
        copyTree(join(blob, 'disk.img'), join(tmp, 'disk.img'));
        await progress(pullDurationMs());
        say('pulling NVRAM...');
        copyTree(join(blob, 'nvram.bin'), join(tmp, 'nvram.bin'));
        copyTree(join(blob, 'manifest.json'), join(tmp, 'manifest.json'));
        if (existsSync(join(blob, '.sim'))) copyTree(join(blob, '.sim'), join(tmp, '.sim'));
      });
    } else {
      say(`${formatRemoteName(digestName)} image is already cached! creating a symlink...`);
    }
    if (remote.reference.type === 'tag') link(remote, digestName);
    else writeFileSync(join(ociPath(remote), '.explicitly-pulled'), '');
    touchDir(ociPath(remote));
  } finally {
    lock.release();
  }
}

/** Fills a tmp/ entry, then moves it into the OCI cache as `digestName`'s directory in one rename. */
export async function cacheImage(digestName: RemoteName, fill: (dir: string) => void | Promise<void>): Promise<void> {
  const tmp = makeTmpEntry();
  try {
    await fill(tmp);
    const target = ociPath(digestName);
    mkdirSync(dirname(target), { recursive: true });
    renameSync(tmp, target);
  } finally {
    releaseTmpEntry(tmp);
  }
}
