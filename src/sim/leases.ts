// DHCP-like leases, global across TART_HOMEs like macOS's /var/db/dhcpd_leases.
// File: $TART_SIM_LEASES or /var/tmp/tart-sim/dhcpd_leases.json. Writers take `<file>.lock`
// (read-modify-write, atomic rename); readers (`tart ip`) just read the file.
// Each MAC gets a stable loopback IP from 127.64.0.2 upward; a lease (`grantLease`, called by `run`
// once the guest "got DHCP") is valid for $TART_SIM_LEASE_SECS (default 86400) and, as in Tart,
// survives the VM stopping.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { acquireFileLockBlocking } from './lock.js';

export interface Lease {
  mac: string;
  ip: string;
  name: string;
  expiresAt: number; // ms since epoch
}
interface LeaseDb {
  version: 1;
  macs: Record<string, string>;
  leases: Lease[];
}

const DEFAULT_LEASES = '/var/tmp/tart-sim/dhcpd_leases.json';

export function leasesPath(): string {
  return process.env['TART_SIM_LEASES'] || DEFAULT_LEASES;
}

/**
 * Where allocation starts: 127.64.0.2 for the default database; elsewhere an offset derived from
 * the file's path, so that independent databases (parallel test runs) rarely hand out the same IPs.
 */
function startIndex(): number {
  const p = leasesPath();
  if (p === DEFAULT_LEASES) return 0;
  let h = 0;
  for (let i = 0; i < p.length; i++) h = (Math.imul(h, 31) + p.charCodeAt(i)) >>> 0;
  return h % 50_000;
}

export function leaseSeconds(): number {
  const v = Number(process.env['TART_SIM_LEASE_SECS']);
  return Number.isFinite(v) && v >= 0 && process.env['TART_SIM_LEASE_SECS'] !== undefined && process.env['TART_SIM_LEASE_SECS'] !== '' ? v : 86400;
}

/** Normalized like Tart's MACAddress (lower case, leading zeros kept). */
function norm(mac: string): string {
  return mac.toLowerCase();
}

function readDb(): LeaseDb {
  try {
    const db = JSON.parse(readFileSync(leasesPath(), 'utf8')) as LeaseDb;
    if (db && typeof db === 'object' && db.macs && Array.isArray(db.leases)) return db;
  } catch {
    /* missing or corrupt: start empty */
  }
  return { version: 1, macs: {}, leases: [] };
}

function writeDb(db: LeaseDb): void {
  const p = leasesPath();
  const tmp = `${p}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(db));
  renameSync(tmp, p);
}

function withDb<T>(fn: (db: LeaseDb) => T): T {
  const p = leasesPath();
  mkdirSync(dirname(p), { recursive: true });
  const lock = acquireFileLockBlocking(`${p}.lock`, 10);
  try {
    const db = readDb();
    const r = fn(db);
    writeDb(db);
    return r;
  } finally {
    lock.release();
  }
}

/** IPs with a listener on port 22 (from /proc/net/tcp), to skip addresses someone else uses. */
function sshListeners(): Set<string> {
  const out = new Set<string>();
  try {
    const lines = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1);
    for (const l of lines) {
      const f = l.trim().split(/\s+/);
      const local = f[1];
      if (!local || f[3] !== '0A') continue;
      const [hex, port] = local.split(':');
      if (port !== '0016' || !hex) continue;
      const n = parseInt(hex, 16);
      out.add([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.'));
    }
  } catch {
    /* no procfs */
  }
  return out;
}

function ipOf(index: number): string {
  // index 0 -> 127.64.0.2; skips .0/.1 and .255 of every /24.
  const per = 253;
  const third = Math.floor(index / per);
  const fourth = (index % per) + 2;
  const second = 64 + Math.floor(third / 256);
  return `127.${second}.${third % 256}.${fourth}`;
}

function allocate(db: LeaseDb, mac: string): string {
  const existing = db.macs[mac];
  if (existing) return existing;
  const used = new Set(Object.values(db.macs));
  const busy = sshListeners();
  for (let i = startIndex(); ; i++) {
    const ip = ipOf(i);
    if (used.has(ip) || busy.has(ip)) continue;
    db.macs[mac] = ip;
    return ip;
  }
}

/**
 * Allocate (or return) the MAC's stable IP. No lease is granted. `run` calls this before booting,
 * so a listener already on <ip>:22 belongs to someone else (e.g. a VM of another lease database):
 * the MAC then moves to a free address instead of failing to boot.
 */
export function ipForMac(mac: string): string {
  const m = norm(mac);
  const known = readDb().macs[m];
  if (known && !sshListeners().has(known)) return known;
  return withDb((db) => {
    const cur = db.macs[m];
    if (cur && !sshListeners().has(cur)) return cur;
    delete db.macs[m];
    return allocate(db, m);
  });
}

/** Called by `run` after the DHCP delay: lease = now + lease time. */
export function grantLease(mac: string, name: string): string {
  const m = norm(mac);
  return withDb((db) => {
    const ip = allocate(db, m);
    const now = Date.now();
    db.leases = db.leases.filter((l) => l.mac !== m && l.expiresAt > now);
    db.leases.push({ mac: m, ip, name, expiresAt: now + leaseSeconds() * 1000 });
    return ip;
  });
}

/** Newest unexpired lease for the MAC: what `tart ip` (dhcp resolver) answers. */
export function currentLease(mac: string): { ip: string; expiresAt: number } | null {
  const m = norm(mac);
  const now = Date.now();
  let best: Lease | null = null;
  for (const l of readDb().leases) {
    if (l.mac === m && l.expiresAt > now && (!best || l.expiresAt > best.expiresAt)) best = l;
  }
  return best ? { ip: best.ip, expiresAt: best.expiresAt } : null;
}

/** The MAC's latest lease record, expired or not (what a guest agent would still report while it runs). */
export function leaseRecord(mac: string): Lease | null {
  const m = norm(mac);
  let best: Lease | null = null;
  for (const l of readDb().leases) if (l.mac === m && (!best || l.expiresAt > best.expiresAt)) best = l;
  return best;
}

/** Drop the MAC's leases (tests only; Tart never releases on stop or delete). */
export function releaseLeases(mac: string): void {
  const m = norm(mac);
  withDb((db) => {
    db.leases = db.leases.filter((l) => l.mac !== m);
  });
}
