// Helpers that need node:crypto, kept out of home.ts so that `list` and `ip` never load it.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from './home.js';
import { selfIdentity } from './lock.js';

/** Random locally-administered unicast MAC (VZMACAddress.randomLocallyAdministered). */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = ((b[0] ?? 0) & 0xfc) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/**
 * A fresh work directory under tmp/, "locked" by this process (Tart flocks it): the owner file
 * records {pid, startTime} so that garbage collection leaves it alone while this process lives.
 */
export function makeTmpEntry(): string {
  const dir = join(tmpDir(), randomUUID().toUpperCase());
  mkdirSync(tmpDir(), { recursive: true });
  // Owner first: a concurrent gc must never see the directory unowned.
  writeFileSync(`${dir}.sim-owner`, JSON.stringify(selfIdentity()));
  mkdirSync(dir);
  return dir;
}
export function releaseTmpEntry(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  rmSync(`${dir}.sim-owner`, { force: true });
}

