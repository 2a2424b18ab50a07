// TART_HOME and Tart's on-disk layout:
//   vms/<name>/{config.json, disk.img (sparse, GB*1e9), nvram.bin[, state.vzvmsave]}   local VMs
//   vms/<name>/.sim/                                   sim-only files (overlay upper/work, run.lock, …)
//   cache/OCIs/<host>/<ns…>/<tag> -> sha256:<hex>      OCI cache (tag symlinks to digest directories)
//   tmp/                                               work dirs, garbage-collected by every command
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { otherError, runtimeError } from './errors.js';
import { appleJson } from './json.js';
import { isAlive, readLiveLock } from './lock.js';

let cachedHome: string | null = null;

/** $TART_HOME (default ~/.tart); missing path components are created, as in Tart's Config(). */
export function tartHome(): string {
  if (cachedHome) return cachedHome;
  const env = process.env['TART_HOME'];
  const home = resolve(env && env !== '' ? env : join(process.env['HOME'] || '/', '.tart'));
  if (env && env !== '') {
    // Config.validateTartHome: create missing components one by one (Node's recursive mkdir can
    // spin forever on procfs paths); the message names the component that failed (RuntimeError, exit 1).
    const parts = resolve(home).split('/');
    for (let i = 2; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (existsSync(p)) continue;
      try {
        mkdirSync(p);
      } catch (e) {
        throw runtimeError(`TART_HOME is invalid: ${p} does not exist, yet we can't create it: ${(e as Error).message}`, 1);
      }
    }
  } else {
    mkdirSync(home, { recursive: true });
  }
  cachedHome = home;
  return home;
}

export const vmsDir = (): string => join(tartHome(), 'vms');
export const tmpDir = (): string => join(tartHome(), 'tmp');
export const ociCacheDir = (): string => join(tartHome(), 'cache', 'OCIs');
export function vmDir(name: string): string {
  return join(vmsDir(), name);
}
export function simDir(name: string): string {
  return join(vmDir(name), '.sim');
}
export const configPath = (dir: string): string => join(dir, 'config.json');
export const diskPath = (dir: string): string => join(dir, 'disk.img');
export const nvramPath = (dir: string): string => join(dir, 'nvram.bin');
export const statePath = (dir: string): string => join(dir, 'state.vzvmsave');

/** A directory counts as a VM only with config.json + disk.img + nvram.bin (Tart's VMDirectory.initialized). */
export function isCompleteDir(dir: string): boolean {
  return existsSync(configPath(dir)) && existsSync(diskPath(dir)) && existsSync(nvramPath(dir));
}
export function isCompleteVm(name: string): boolean {
  return isCompleteDir(vmDir(name));
}

export interface VmDisplay {
  width: number;
  height: number;
  unit?: 'pt' | 'px';
}
export interface VmConfig {
  version: 1;
  os: 'linux' | 'darwin';
  arch: 'arm64';
  cpuCountMin: number;
  cpuCount: number;
  memorySizeMin: number;
  memorySize: number;
  macAddress: string;
  display: VmDisplay;
  displayRefit?: boolean;
  diskFormat: 'raw' | 'asif';
  ecid?: string;
  hardwareModel?: string;
}

export function readConfigAt(dir: string): VmConfig {
  const text = readFileSync(configPath(dir), 'utf8');
  try {
    return JSON.parse(text) as VmConfig;
  } catch {
    // What JSONDecoder reports for malformed data (NSCocoaErrorDomain 3840).
    throw otherError('The data couldn’t be read because it isn’t in the correct format.');
  }
}
export function readVmConfig(name: string): VmConfig {
  return readConfigAt(vmDir(name));
}

/** Key order of Tart's VMConfig.encode (pretty-printed like JSONEncoder). */
export function serializeConfig(c: VmConfig): string {
  const ordered: Record<string, unknown> = { version: c.version, os: c.os, arch: c.arch };
  if (c.ecid !== undefined) ordered['ecid'] = c.ecid;
  if (c.hardwareModel !== undefined) ordered['hardwareModel'] = c.hardwareModel;
  Object.assign(ordered, {
    cpuCountMin: c.cpuCountMin,
    cpuCount: c.cpuCount,
    memorySizeMin: c.memorySizeMin,
    memorySize: c.memorySize,
    macAddress: c.macAddress,
    display: c.display.unit ? { width: c.display.width, height: c.display.height, unit: c.display.unit } : { width: c.display.width, height: c.display.height },
  });
  if (c.displayRefit !== undefined) ordered['displayRefit'] = c.displayRefit;
  ordered['diskFormat'] = c.diskFormat;
  return appleJson(ordered, { shuffle: false });
}

export function writeConfigAt(dir: string, c: VmConfig): void {
  const tmp = join(dir, `.config.json.${process.pid}.tmp`);
  writeFileSync(tmp, serializeConfig(c));
  renameSync(tmp, configPath(dir));
}
export function writeVmConfig(name: string, c: VmConfig): void {
  writeConfigAt(vmDir(name), c);
}

/** Bump the VM directory's access time (Tart: URL.updateAccessDate on open). */
export function touchAccessed(name: string): void {
  touchDir(vmDir(name));
}
export function touchDir(dir: string): void {
  try {
    const st = statSync(dir);
    utimesSync(dir, new Date(), st.mtime);
  } catch {
    /* vanished: nothing to bump */
  }
}

export function stateAt(dir: string, name: string): 'running' | 'suspended' | 'stopped' {
  if (readLiveLock(name)) return 'running';
  return existsSync(statePath(dir)) ? 'suspended' : 'stopped';
}
/** running: a live `run` holds the lock; suspended: state.vzvmsave exists; else stopped. */
export function vmState(name: string): 'running' | 'suspended' | 'stopped' {
  return stateAt(vmDir(name), name);
}

/** Names of complete local VMs. */
export function listVmNames(): string[] {
  let entries: string[];
  try {
    entries = readdirSync(vmsDir());
  } catch {
    return [];
  }
  return entries.filter((n) => isCompleteVm(n));
}

/** Tart's Config.gc(): delete every tmp/ entry that nobody holds. */
export function gcTmp(): void {
  const dir = join(tartHome(), 'tmp');
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    mkdirSync(dir, { recursive: true });
    return;
  }
  for (const e of entries) {
    if (e.endsWith('.sim-owner')) {
      const base = e.slice(0, -'.sim-owner'.length);
      if (!entries.includes(base) && !ownerAlive(join(dir, e))) rmSync(join(dir, e), { force: true });
      continue;
    }
    const owner = join(dir, `${e}.sim-owner`);
    if (ownerAlive(owner)) continue;
    rmSync(join(dir, e), { recursive: true, force: true });
    rmSync(owner, { force: true });
  }
}

function ownerAlive(path: string): boolean {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; startTime: string };
    return isAlive(o);
  } catch {
    return false;
  }
}
