// Fault injection for sim VMs. Read at each use (so a test can change it while a VM runs) from
// $TART_SIM_FAULTS (JSON) and $TART_HOME/sim-faults.json; the environment wins over the file, a
// VM's own entry wins over the global one. Shape (both sources):
//   { "bootDelayMs": 2000, "vms": { "demo": { "noIp": true } } }
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tartHome } from './home.js';

export interface Faults {
  /** Extra boot time before sshd listens and before the DHCP lease (ms). */
  bootDelayMs?: number;
  /** The guest never gets a lease: `tart ip` never answers. */
  noIp?: boolean;
  /** Nothing listens on <ip>:22: connections are refused. */
  sshdRefuse?: boolean;
  /** `tart exec` never returns (until killed). */
  execHang?: boolean;
  /** `tart exec` prints garbage on stdout instead of running the command (exit 0). */
  execGarbage?: boolean;
  /** `tart run` dies (SIGKILL, like a crash) this many ms after starting the guest. */
  runDiesAfterMs?: number;
}

interface FaultDoc extends Faults {
  vms?: Record<string, Faults>;
}

const KEYS: (keyof Faults)[] = ['bootDelayMs', 'noIp', 'sshdRefuse', 'execHang', 'execGarbage', 'runDiesAfterMs'];

function pick(src: unknown): Faults {
  const out: Faults = {};
  if (!src || typeof src !== 'object') return out;
  const o = src as Record<string, unknown>;
  for (const k of KEYS) {
    const v = o[k];
    if (k === 'bootDelayMs' || k === 'runDiesAfterMs') {
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[k] = v;
    } else if (typeof v === 'boolean') {
      out[k] = v;
    }
  }
  return out;
}

function parse(text: string | undefined, source: string, warn: (m: string) => void): FaultDoc | null {
  if (!text || text.trim() === '') return null;
  try {
    const doc = JSON.parse(text) as unknown;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a JSON object');
    return doc as FaultDoc;
  } catch (e) {
    warn(`tart-sim: ignoring fault injection from ${source}: ${(e as Error).message}; fix or remove it\n`);
    return null;
  }
}

/** The faults in force for VM `name` right now. */
export function faultsFor(name: string, warn: (m: string) => void = () => {}): Faults {
  let fileText: string | undefined;
  const file = join(tartHome(), 'sim-faults.json');
  try {
    fileText = readFileSync(file, 'utf8');
  } catch {
    fileText = undefined;
  }
  const docs = [parse(fileText, file, warn), parse(process.env['TART_SIM_FAULTS'], 'TART_SIM_FAULTS', warn)];
  let result: Faults = {};
  for (const d of docs) if (d) result = { ...result, ...pick(d) };
  for (const d of docs) if (d?.vms && typeof d.vms === 'object') result = { ...result, ...pick(d.vms[name]) };
  return result;
}
