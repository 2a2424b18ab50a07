// Where tk keeps its files (contracts.md "Paths"). TK_HOME moves everything; otherwise the
// platform's place: macOS ~/Library/Application Support/tk, Linux XDG config + state dirs.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TkError } from '../core/errors.js';

export interface TkPaths {
  /** Per-machine data root: state, logs, per-VM dirs, ssh key, proxy files (the proxy's `home`). */
  home: string;
  configDir: string;
  configFile: string;
  stateFile: string;
  stateLock: string;
  logsDir: string;
  vmsDir: string;
  sshKey: string;
  proxyDir: string;
  /** Trusted repository configs (`tk config trust`). */
  trustFile: string;
  /** Marker written once the Rust tool's files were considered for import. */
  importMarker: string;
}

function userHome(env: NodeJS.ProcessEnv): string {
  return env['HOME'] || homedir();
}

export function tkPaths(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): TkPaths {
  let home: string;
  let configDir: string;
  const tkHome = env['TK_HOME'];
  if (tkHome) {
    home = tkHome;
    configDir = tkHome;
  } else if (platform === 'darwin') {
    home = join(userHome(env), 'Library', 'Application Support', 'tk');
    configDir = home;
  } else {
    home = join(env['XDG_STATE_HOME'] || join(userHome(env), '.local', 'state'), 'tk');
    configDir = join(env['XDG_CONFIG_HOME'] || join(userHome(env), '.config'), 'tk');
  }
  return {
    home,
    configDir,
    configFile: join(configDir, 'config.toml'),
    stateFile: join(home, 'state.json'),
    stateLock: join(home, 'state.json.lock'),
    logsDir: join(home, 'logs'),
    vmsDir: join(home, 'vms'),
    sshKey: join(home, 'ssh', 'id_ed25519'),
    proxyDir: join(home, 'proxy'),
    trustFile: join(configDir, 'trusted-repos.json'),
    importMarker: join(home, 'tachikoma-import.json'),
  };
}

/** `$home/logs/<vm>.log` */
/**
 * A VM name as one path component. Names reach these helpers from the command line and from MCP
 * tool calls (an agent, which guest content can steer): `../x` must never address a file outside
 * tk's directories (destroy removes the log and the per-VM directory).
 */
export function safeVmComponent(vm: string): string {
  if (vm === '' || vm === '.' || vm === '..' || vm.length > 255 || /[/\\\u0000-\u001f\u007f]/.test(vm)) {
    throw new TkError('usage', `${JSON.stringify(vm)} is not a valid VM name.`, { hint: 'VM names are single words such as tachikoma-myapp-main; see `tk list`.' });
  }
  return vm;
}

export function logPath(home: string, vm: string): string {
  return join(home, 'logs', `${safeVmComponent(vm)}.log`);
}

/** `$home/vms/<vm>/` */
export function vmDir(home: string, vm: string): string {
  return join(home, 'vms', safeVmComponent(vm));
}

/** Guest-written agent state (untrusted input): `$home/vms/<vm>/status/agent.json`. */
export function agentStatusPath(home: string, vm: string): string {
  return join(home, 'vms', safeVmComponent(vm), 'status', 'agent.json');
}

/**
 * The Rust tachikoma's directory (read only, for the one-time import). `TK_TACHIKOMA_DIR` overrides
 * it (tests); with TK_HOME set and no override there is no import. macOS: ~/Library/Application Support/tachikoma; Linux: ~/.config/tachikoma.
 */
export function tachikomaDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | null {
  if (env['TK_TACHIKOMA_DIR']) return env['TK_TACHIKOMA_DIR'];
  // An explicit TK_HOME is a separate world (tests, demos): no import unless asked for.
  if (env['TK_HOME']) return null;
  if (platform === 'darwin') return join(userHome(env), 'Library', 'Application Support', 'tachikoma');
  return join(env['XDG_CONFIG_HOME'] || join(userHome(env), '.config'), 'tachikoma');
}
