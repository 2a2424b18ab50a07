// Where tk keeps its files (contracts.md "Paths"). TK_HOME moves everything into one directory.
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface TkPaths {
  /** Data root: state, logs, per-VM dirs, ssh key, proxy files, trust store. */
  home: string;
  configDir: string;
  config: string;
  state: string;
  stateLock: string;
  logs: string;
  vms: string;
  sshKey: string;
  proxy: string;
  trust: string;
}

export function resolveTkPaths(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): TkPaths {
  let dataDir: string;
  let configDir: string;
  if (env.TK_HOME) {
    dataDir = configDir = env.TK_HOME;
  } else if (platform === 'darwin') {
    dataDir = configDir = join(home, 'Library', 'Application Support', 'tk');
  } else {
    configDir = join(env.XDG_CONFIG_HOME || join(home, '.config'), 'tk');
    dataDir = join(env.XDG_STATE_HOME || join(home, '.local', 'state'), 'tk');
  }
  return {
    home: dataDir,
    configDir,
    config: join(configDir, 'config.toml'),
    state: join(dataDir, 'state.json'),
    stateLock: join(dataDir, 'state.json.lock'),
    logs: join(dataDir, 'logs'),
    vms: join(dataDir, 'vms'),
    sshKey: join(dataDir, 'ssh', 'id_ed25519'),
    proxy: join(dataDir, 'proxy'),
    trust: join(configDir, 'trust.json'),
  };
}

export function logPath(home: string, vm: string): string {
  return join(home, 'logs', `${vm}.log`);
}
export function vmDir(home: string, vm: string): string {
  return join(home, 'vms', vm);
}
export function agentStatusPath(home: string, vm: string): string {
  return join(home, 'vms', vm, 'status', 'agent.json');
}

/**
 * The Rust tachikoma's directory, read once for import (never written).
 * `TK_TACHIKOMA_HOME` overrides it (tests). macOS: Application Support; Linux: ~/.config/tachikoma.
 */
export function tachikomaDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (env.TK_TACHIKOMA_HOME) return env.TK_TACHIKOMA_HOME;
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'tachikoma');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'tachikoma');
}
