// tart ip <name> [--wait <s>] [--resolver dhcp|arp|agent]
// Like Tart, the dhcp resolver answers from the lease file and never checks that the VM runs: a
// stopped VM whose lease is still valid prints its old IP and exits 0.
import type { CommandSpec } from '../args.js';
import { runtimeError } from '../errors.js';
import { readConfigAt } from '../home.js';
import { currentLease, leaseRecord } from '../leases.js';
import { processStartTime, readLiveLock } from '../lock.js';
import { begin, openLocal, out } from './common.js';

export const IP_SPEC: CommandSpec = {
  name: 'ip',
  abstract: "Get VM's IP address",
  args: [{ name: 'name', help: 'VM name' }],
  options: [
    { long: 'wait', value: 'wait', type: 'uint16', help: 'Number of seconds to wait for a potential VM booting', default: 0 },
    { long: 'resolver', value: 'resolver', help: 'Strategy for resolving IP address', choices: ['dhcp', 'arp', 'agent'], default: 'dhcp' },
  ],
};

function resolveOnce(name: string, mac: string, resolver: string): string | null {
  if (resolver === 'dhcp') return currentLease(mac)?.ip ?? null;
  const lock = readLiveLock(name);
  if (!lock) return null;
  if (resolver === 'arp') return currentLease(mac)?.ip ?? null;
  // agent: the guest agent answers once the guest is up and has configured its address.
  if (!lock.initPid || processStartTime(lock.initPid) === null) return null;
  return leaseRecord(mac)?.ip ?? null;
}

export async function ip(argv: string[]): Promise<number> {
  const { args, opts } = begin(IP_SPEC, argv);
  const name = args['name'] as string;
  const wait = opts['wait'] as number;
  const resolver = opts['resolver'] as string;
  const dir = openLocal(name);
  const config = readConfigAt(dir);
  const waitUntil = Date.now() + wait * 1000;
  let found: string | null = null;
  do {
    found = resolveOnce(name, config.macAddress, resolver);
    if (found) break;
    await new Promise((r) => setTimeout(r, 1000));
  } while (Date.now() < waitUntil);
  if (!found) {
    let message = 'no IP address found';
    if (!readLiveLock(name)) message += ', is your VM running?';
    if (resolver === 'agent') message += ' (also make sure that Guest agent for Tart is running inside of a VM)';
    else if (config.os === 'linux' && resolver === 'arp') message += ' (not all Linux distributions are compatible with the ARP resolver)';
    throw runtimeError(message, 1);
  }
  out(`${found}\n`);
  return 0;
}
