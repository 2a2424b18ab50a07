// Creating, copying and installing VM directories (shared by create, clone, pull, push, import).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { diskPath, nvramPath, tmpDir, vmDir, vmsDir, writeConfigAt, type VmConfig } from '../home.js';

/** A fresh VM: config.json, sparse disk.img of diskGB*1e9 bytes, an empty-ish NVRAM store. */
export function writeFreshVm(dir: string, config: VmConfig, diskGB: number): void {
  mkdirSync(dir, { recursive: true });
  writeConfigAt(dir, config);
  const fd = openSync(diskPath(dir), 'w');
  closeSync(fd);
  truncateSync(diskPath(dir), diskGB * 1e9);
  writeFileSync(nvramPath(dir), Buffer.alloc(0));
  truncateSync(nvramPath(dir), 131072);
}

/** cp -a --reflink=auto (keeps holes, owners, xattrs such as overlay whiteouts). */
export function copyTree(from: string, to: string): void {
  const r = spawnSync('cp', ['-a', '--reflink=auto', from, to], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`failed to copy ${from}: ${String(r.stderr).trim()}`);
}

/**
 * Copy a VM's files (config, nvram, disk, state.vzvmsave if any) plus the sim's per-VM dir (.sim):
 * the guest's overlay upper layer comes along, the overlay work dir and the run lock do not (a
 * running source would leave them inconsistent; `run` recreates them).
 */
export function copyVmFiles(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  for (const f of ['config.json', 'nvram.bin', 'disk.img', 'state.vzvmsave']) {
    if (existsSync(join(src, f))) copyTree(join(src, f), join(dst, f));
  }
  const sim = join(src, '.sim');
  if (!existsSync(sim)) return;
  const dsim = join(dst, '.sim');
  mkdirSync(dsim, { recursive: true });
  for (const e of readdirSync(sim)) {
    if (e === 'run.lock' || e === 'work' || e.endsWith('.sock') || e.endsWith('.tmp')) continue;
    copyTree(join(sim, e), join(dsim, e));
  }
  if (existsSync(join(sim, 'work'))) mkdirSync(join(dsim, 'work'), { recursive: true });
}

/** Move a prepared directory over vms/<name> (FileManager.replaceItemAt: silently replaces). */
export function installVmDir(prepared: string, name: string): void {
  mkdirSync(vmsDir(), { recursive: true });
  const target = vmDir(name);
  if (existsSync(target)) {
    const old = join(tmpDir(), `replaced-${randomUUID()}`);
    renameSync(target, old);
    renameSync(prepared, target);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(prepared, target);
  }
  mkdirSync(prepared, { recursive: true }); // keep the tmp entry path valid for its owner's cleanup
}
