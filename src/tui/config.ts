// Dashboard configuration: the `[dashboard]` table of config.toml.
//
//   [dashboard]
//   poll_active_ms = 1000    # tart poll while something transitions or an action runs
//   poll_idle_ms = 5000      # tart poll when nothing moves
//   poll_timeout_ms = 15000  # a hung `tart list` is abandoned after this and a warning shown
//   changes_debounce_ms = 80 # worktree watcher debounce before `git status`
//   bell = true              # ring the terminal bell when an agent starts waiting for input
//   [dashboard.keys]
//   destroy = "X"            # action = key (or list of keys); see DEFAULT_KEYS
//
// Pure: parsing + defaults only. The CLI reads the TOML and passes the raw table to
// `dashboardConfigFrom`.

import { TkError } from '../core/errors.js';

export const KEY_ACTIONS = [
  'up',
  'down',
  'top',
  'bottom',
  'pageUp',
  'pageDown',
  'nextWaiting',
  'spawn',
  'enter',
  'enterAgent',
  'suspend',
  'halt',
  'resume',
  'destroy',
  'pr',
  'exec',
  'logs',
  'filter',
  'sort',
  'group',
  'help',
  'quit',
] as const;
export type KeyAction = (typeof KEY_ACTIONS)[number];

/** Key names: a printable character ("j", "D", "?"), or one of the named keys below. */
export const NAMED_KEYS = ['up', 'down', 'left', 'right', 'pageup', 'pagedown', 'home', 'end', 'enter', 'tab', 'escape', 'space'] as const;

export type KeyMap = Record<KeyAction, string[]>;

export const DEFAULT_KEYS: KeyMap = {
  up: ['up', 'k'],
  down: ['down', 'j'],
  top: ['g', 'home'],
  bottom: ['G', 'end'],
  pageUp: ['pageup'],
  pageDown: ['pagedown'],
  nextWaiting: ['tab', 'w'],
  spawn: ['n'],
  enter: ['enter', 'e'],
  enterAgent: ['a'],
  suspend: ['s'],
  halt: ['h'],
  resume: ['r'],
  destroy: ['D'],
  pr: ['p'],
  exec: ['x'],
  logs: ['l'],
  filter: ['/'],
  sort: ['o'],
  group: ['R'],
  help: ['?'],
  quit: ['q'],
};

/** One-line descriptions for the footer and the `?` overlay. */
export const KEY_HELP: Record<KeyAction, string> = {
  up: 'move up',
  down: 'move down',
  top: 'first VM',
  bottom: 'last VM',
  pageUp: 'page up',
  pageDown: 'page down',
  nextWaiting: 'next VM waiting for input',
  spawn: 'spawn a VM for a branch',
  enter: 'enter the VM (ssh shell)',
  enterAgent: 'enter and start the agent',
  suspend: 'suspend',
  halt: 'halt (stop)',
  resume: 'resume / start',
  destroy: 'destroy (asks first)',
  pr: 'commit, push, open a PR',
  exec: 'run a command in the VM',
  logs: 'log pane on/off',
  filter: 'filter as you type',
  sort: 'sort: state / last used / name',
  group: 'group by repository on/off',
  help: 'this help',
  quit: 'quit',
};

export interface DashboardConfig {
  keys: KeyMap;
  pollActiveMs: number;
  pollIdleMs: number;
  pollTimeoutMs: number;
  changesDebounceMs: number;
  bell: boolean;
}

export const DEFAULT_DASHBOARD_CONFIG: DashboardConfig = {
  keys: DEFAULT_KEYS,
  pollActiveMs: 1000,
  pollIdleMs: 5000,
  pollTimeoutMs: 15000,
  changesDebounceMs: 80,
  bell: true,
};

/** A bad `[dashboard]` table: a config TkError, so every edge prints it with its hint. */
export class DashboardConfigError extends TkError {
  constructor(message: string) {
    super('config', message, { hint: 'Fix the [dashboard] table in config.toml (see docs/dashboard.md), or remove it to use the defaults.' });
    this.name = 'DashboardConfigError';
  }
}

function isNamedOrChar(k: string): boolean {
  return (NAMED_KEYS as readonly string[]).includes(k) || [...k].length === 1;
}

function intField(raw: Record<string, unknown>, key: string, min: number, max: number, dflt: number): number {
  const v = raw[key];
  if (v === undefined) return dflt;
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new DashboardConfigError(`[dashboard] ${key} must be an integer between ${min} and ${max}, got ${JSON.stringify(String(v))}`);
  }
  return n;
}

/**
 * Builds the config from the raw `[dashboard]` table (unknown keys rejected with a clear message).
 * A remapped action replaces that action's default keys; a key taken by two actions is an error.
 */
export function dashboardConfigFrom(raw: unknown): DashboardConfig {
  if (raw === undefined || raw === null) return DEFAULT_DASHBOARD_CONFIG;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new DashboardConfigError('[dashboard] must be a table');
  const table = raw as Record<string, unknown>;
  const known = new Set(['keys', 'poll_active_ms', 'poll_idle_ms', 'poll_timeout_ms', 'changes_debounce_ms', 'bell']);
  for (const k of Object.keys(table)) {
    if (!known.has(k)) throw new DashboardConfigError(`unknown key [dashboard] ${k} (known: ${[...known].join(', ')})`);
  }
  const keys: KeyMap = { ...DEFAULT_KEYS };
  const rawKeys = table['keys'];
  if (rawKeys !== undefined) {
    if (typeof rawKeys !== 'object' || rawKeys === null || Array.isArray(rawKeys)) throw new DashboardConfigError('[dashboard.keys] must be a table of action = "key"');
    for (const [action, v] of Object.entries(rawKeys as Record<string, unknown>)) {
      if (!(KEY_ACTIONS as readonly string[]).includes(action)) {
        throw new DashboardConfigError(`unknown action [dashboard.keys] ${action} (actions: ${KEY_ACTIONS.join(', ')})`);
      }
      const list = typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
      if (!list || list.length === 0 || !list.every(isNamedOrChar)) {
        throw new DashboardConfigError(
          `[dashboard.keys] ${action} must be a key or a list of keys: one character, or one of ${NAMED_KEYS.join(', ')}`,
        );
      }
      keys[action as KeyAction] = list;
    }
  }
  const owner = new Map<string, KeyAction>();
  for (const action of KEY_ACTIONS) {
    for (const k of keys[action]) {
      const prev = owner.get(k);
      if (prev) throw new DashboardConfigError(`[dashboard.keys] key "${k}" is bound to both ${prev} and ${action}; remap one of them`);
      owner.set(k, action);
    }
  }
  const pollActiveMs = intField(table, 'poll_active_ms', 200, 60_000, DEFAULT_DASHBOARD_CONFIG.pollActiveMs);
  const pollIdleMs = intField(table, 'poll_idle_ms', 500, 600_000, DEFAULT_DASHBOARD_CONFIG.pollIdleMs);
  const pollTimeoutMs = intField(table, 'poll_timeout_ms', 1000, 600_000, DEFAULT_DASHBOARD_CONFIG.pollTimeoutMs);
  const changesDebounceMs = intField(table, 'changes_debounce_ms', 0, 5000, DEFAULT_DASHBOARD_CONFIG.changesDebounceMs);
  const bellRaw = table['bell'];
  if (bellRaw !== undefined && typeof bellRaw !== 'boolean') throw new DashboardConfigError(`[dashboard] bell must be true or false, got ${JSON.stringify(String(bellRaw))}`);
  const bell = bellRaw ?? DEFAULT_DASHBOARD_CONFIG.bell;
  return { keys, pollActiveMs, pollIdleMs, pollTimeoutMs, changesDebounceMs, bell };
}
