// Configuration: keys (tachikoma §2.3 plus tk's), defaults, per-key validation, layering and the
// trust boundary. Pure: the loader (src/adapters/config-loader.ts) reads files and parses TOML.
//
// Layers, later wins per key (arrays replace): defaults < global < repo `.tachikoma.toml` <
// `.tachikoma.local.toml`. Both repo files live in the worktree, which the guest can write, so
// from them only REPO_SAFE_KEYS count unless the user trusted that exact content (`tk config trust`).
import { TkError } from './errors.js';

export interface Config {
  base_image: string;
  vm_cpus: number;
  vm_memory: number;
  vm_display: string;
  ssh_user: string;
  ssh_port: number;
  /** Absolute after loading (null: next to the main repository). */
  worktree_dir: string | null;
  /** Absolute host paths after loading. */
  provision_scripts: string[];
  claude_flags: string[];
  boot_timeout_secs: number;
  prune_after_days: number;
  credential_command: string | null;
  api_key_command: string | null;
  sync_gh_auth: boolean;
  share_claude_dirs: string[];
  sync_mcp_servers: boolean;
  credential_proxy: boolean;
  credential_proxy_port: number;
  credential_proxy_bind: string;
  credential_proxy_ttl_secs: number;
  credential_proxy_upstream: string;
  /** host or host:port patterns; `*.example.com` matches subdomains; `host:*` any port. */
  credential_proxy_allow: string[];
  /** The tart binary (env TK_TART wins; null: `tart` on PATH). */
  tart_path: string | null;
  /** Run in the guest to install the agent; empty string: skip. */
  agent_install_command: string;
  /** The `[dashboard]` table, passed through to the dashboard (it validates it). */
  dashboard: Record<string, unknown>;
  /**
   * GitHub Enterprise host names `tk pr` may push to and run gh against (github.com always).
   * Only the user's own (global) config may set it: see USER_ONLY_KEYS.
   */
  github_hosts: string[];
}

export type ConfigKey = keyof Config;

type Kind = 'string' | 'int' | 'bool' | 'strings' | 'table';

interface KeySpec {
  kind: Kind;
  nullable?: boolean;
  min?: number;
  max?: number;
  /** Extra validation; returns an error text or null. */
  check?: (v: never) => string | null;
}

const SAFE_DIR = /^[A-Za-z0-9_-]+$/;

export const DEFAULT_AGENT_INSTALL = 'curl -fsSL https://claude.ai/install.sh | bash';

export const DEFAULTS: Config = {
  base_image: 'ubuntu',
  vm_cpus: 4,
  vm_memory: 8192,
  vm_display: 'none',
  ssh_user: 'admin',
  ssh_port: 22,
  worktree_dir: null,
  provision_scripts: [],
  claude_flags: [],
  boot_timeout_secs: 120,
  prune_after_days: 30,
  credential_command: null,
  api_key_command: null,
  sync_gh_auth: false,
  share_claude_dirs: ['rules', 'agents', 'plugins', 'skills'],
  sync_mcp_servers: true,
  credential_proxy: true,
  credential_proxy_port: 19280,
  credential_proxy_bind: '192.168.64.1',
  credential_proxy_ttl_secs: 300,
  credential_proxy_upstream: 'https://api.anthropic.com',
  credential_proxy_allow: [],
  tart_path: null,
  agent_install_command: DEFAULT_AGENT_INSTALL,
  dashboard: {},
  github_hosts: [],
};

/** IPv4 dotted quad or an IPv6 literal (pure; no node:net in core). */
export function isIpLiteral(s: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) return v4.slice(1).every((p) => Number(p) <= 255 && String(Number(p)) === p);
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  try {
    return new URL(`http://[${s}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

/**
 * 0.0.0.0, ::, and every other spelling of "all interfaces" (::ffff:0.0.0.0 and ::ffff:0:0 are the
 * IPv4-mapped wildcard: binding them listens on every IPv4 address; ::0.0.0.0 is ::).
 */
export function isUnspecifiedIp(ip: string): boolean {
  if (!ip.includes(':')) return /^0+(\.0+){3}$/.test(ip);
  try {
    const h = new URL(`http://[${ip}]/`).hostname;
    return h === '[::]' || h === '[::ffff:0:0]';
  } catch {
    return false;
  }
}

/**
 * A `github_hosts` entry: a lowercase DNS name with at least two labels, nothing else (no scheme,
 * port, user info, path, wildcard, trailing dot or IP literal). The `tk pr` URL rule matches it
 * literally, so what is written here is exactly the host the user's credentials may go to.
 */
export function checkGithubHost(h: string): string | null {
  const q = JSON.stringify(h);
  if (h === '') return 'entries must not be empty';
  if (h.includes('*')) return `entry ${q} must be an exact host name (no wildcards)`;
  if (h.includes('@')) return `entry ${q} must be a host name only (no user info)`;
  if (h.includes(':')) return `entry ${q} must be a host name only (no scheme or port)`;
  if (h.includes('/')) return `entry ${q} must be a host name only (no scheme or path)`;
  if (h !== h.toLowerCase()) return `entry ${q} must be lowercase`;
  if (h.length > 253) return `entry ${q} is longer than 253 characters`;
  const label = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
  const labels = h.split('.');
  if (labels.length < 2 || !labels.every((l) => label.test(l))) return `entry ${q} must be a DNS name such as github.example.com (letters, digits, hyphens and dots)`;
  if (/^[0-9]+$/.test(labels[labels.length - 1] as string)) return `entry ${q} must be a host name, not an IP address`;
  if (h === 'github.com') return `entry ${q} is not needed: github.com is always accepted`;
  return null;
}

function checkBind(v: string): string | null {
  const b = v.replace(/^\[(.*)\]$/, '$1');
  if (!isIpLiteral(b)) return 'must be an IP address such as 192.168.64.1 or 127.0.0.1 (not a host name)';
  if (isUnspecifiedIp(b)) return 'must not be 0.0.0.0 or :: (the proxy would expose credentials to every network)';
  return null;
}

export const KEY_SPECS: Record<ConfigKey, KeySpec> = {
  base_image: { kind: 'string', check: (v: string) => (v.trim() === '' || v.startsWith('-') ? 'must be a Tart image name' : null) },
  vm_cpus: { kind: 'int', min: 1, max: 256 },
  vm_memory: { kind: 'int', min: 512, max: 4 * 1024 * 1024 },
  vm_display: { kind: 'string', check: (v: string) => (v === 'none' || /^\d{2,5}x\d{2,5}$/.test(v) ? null : 'must be "none" or WIDTHxHEIGHT such as 1024x768') },
  ssh_user: { kind: 'string', check: (v: string) => (/^[a-z_][a-z0-9_-]{0,31}$/i.test(v) ? null : 'must be a user name (letters, digits, _ and -)') },
  ssh_port: { kind: 'int', min: 1, max: 65535 },
  worktree_dir: { kind: 'string', nullable: true, check: (v: string) => (v.trim() === '' ? 'must not be empty' : null) },
  provision_scripts: { kind: 'strings', check: (v: string[]) => (v.some((p) => p.trim() === '') ? 'must not contain empty paths' : null) },
  claude_flags: { kind: 'strings' },
  boot_timeout_secs: { kind: 'int', min: 1, max: 86_400 },
  prune_after_days: { kind: 'int', min: 0, max: 100_000 },
  credential_command: { kind: 'string', nullable: true },
  api_key_command: { kind: 'string', nullable: true },
  sync_gh_auth: { kind: 'bool' },
  share_claude_dirs: {
    kind: 'strings',
    check: (v: string[]) => {
      const bad = v.find((d) => !SAFE_DIR.test(d));
      return bad === undefined ? null : `entry ${JSON.stringify(bad)} must contain only letters, digits, hyphens or underscores`;
    },
  },
  sync_mcp_servers: { kind: 'bool' },
  credential_proxy: { kind: 'bool' },
  credential_proxy_port: { kind: 'int', min: 1, max: 65535 },
  credential_proxy_bind: { kind: 'string', check: checkBind },
  credential_proxy_ttl_secs: { kind: 'int', min: 0, max: 86_400 },
  credential_proxy_upstream: {
    kind: 'string',
    check: (v: string) => {
      try {
        const u = new URL(v);
        return u.protocol === 'https:' || u.protocol === 'http:' ? null : 'must be an http(s) URL';
      } catch {
        return 'must be an http(s) URL';
      }
    },
  },
  credential_proxy_allow: { kind: 'strings' },
  tart_path: { kind: 'string', nullable: true, check: (v: string) => (v.trim() === '' ? 'must not be empty' : null) },
  agent_install_command: { kind: 'string' },
  dashboard: { kind: 'table' },
  github_hosts: {
    kind: 'strings',
    check: (v: string[]) => {
      for (const h of v) {
        const p = checkGithubHost(h);
        if (p) return p;
      }
      return null;
    },
  },
};

export const CONFIG_KEYS = Object.keys(KEY_SPECS) as ConfigKey[];

/** The only keys a repository's files may set without `tk config trust`: none can touch the host or credentials. */
export const REPO_SAFE_KEYS: ReadonlySet<ConfigKey> = new Set<ConfigKey>([
  'base_image',
  'vm_cpus',
  'vm_memory',
  'vm_display',
  'boot_timeout_secs',
  'share_claude_dirs',
  'claude_flags',
  'provision_scripts',
]);

/**
 * Keys only the user's own (global) config may set: repository files are ignored for them even
 * after `tk config trust`. `github_hosts` decides which hosts receive the user's GitHub
 * credentials and code on `tk pr`; that is a fact about the user's accounts, not the repository,
 * and trust (a reviewed content hash) is a weaker guarantee than the user's own file.
 */
export const USER_ONLY_KEYS: ReadonlySet<ConfigKey> = new Set<ConfigKey>(['github_hosts']);

export type LayerKind = 'global' | 'repo' | 'local';

export interface ConfigLayer {
  kind: LayerKind;
  file: string;
  /** Parsed TOML. */
  data: Record<string, unknown>;
  /** Repo layers: the user trusted this exact content. Global: always true. */
  trusted: boolean;
  /** 1-based line of a top-level key in the file, when found. */
  lineOf: (key: string) => number | undefined;
}

export interface ResolvedConfig {
  config: Config;
  warnings: string[];
  /** Which layer set each key (absent: default). */
  origins: Partial<Record<ConfigKey, ConfigLayer>>;
}

function where(layer: ConfigLayer, key: string): string {
  const line = layer.lineOf(key);
  return line === undefined ? `${layer.file}: ${key}` : `${layer.file}:${line}: ${key}`;
}

function configError(layer: ConfigLayer, key: string, what: string): TkError {
  return new TkError('config', `Invalid config ${where(layer, key)} ${what}.`, {
    hint: `Fix ${key} in ${layer.file}${layer.lineOf(key) ? ` (line ${layer.lineOf(key)})` : ''}.`,
  });
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (v instanceof Date) return 'a date';
  return typeof v === 'object' ? 'a table' : `a ${typeof v}`;
}

/** Validates one value from one layer; returns the typed value or throws a TkError naming file, line, key. */
export function validateKey(layer: ConfigLayer, key: ConfigKey, raw: unknown): unknown {
  const spec = KEY_SPECS[key];
  let v: unknown = typeof raw === 'bigint' ? Number(raw) : raw;
  switch (spec.kind) {
    case 'string':
      if (typeof v !== 'string') throw configError(layer, key, `must be a string, got ${typeName(v)}`);
      break;
    case 'bool':
      if (typeof v !== 'boolean') throw configError(layer, key, `must be true or false, got ${typeName(v)}`);
      break;
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw configError(layer, key, `must be an integer, got ${typeName(v)}`);
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
        throw configError(layer, key, `must be between ${spec.min} and ${spec.max}, got ${v}`);
      }
      break;
    case 'strings':
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw configError(layer, key, `must be an array of strings, got ${typeName(v)}`);
      v = [...(v as string[])];
      break;
    case 'table':
      if (!v || typeof v !== 'object' || Array.isArray(v) || v instanceof Date) throw configError(layer, key, `must be a table, got ${typeName(v)}`);
      break;
  }
  const problem = spec.check ? spec.check(v as never) : null;
  if (problem) throw configError(layer, key, problem);
  if (key === 'provision_scripts' && layer.kind !== 'global') {
    const bad = (v as string[]).find((p) => p.startsWith('/') || p.startsWith('~') || p.startsWith('\\') || /^[A-Za-z]:/.test(p) || p.split(/[\\/]/).includes('..'));
    if (bad !== undefined) throw configError(layer, key, `entry ${JSON.stringify(bad)} must be a relative path inside the repository (no absolute paths, no "..")`);
  }
  return v;
}

/** Merges validated layers over the defaults, applying the trust boundary. */
export function resolveConfig(layers: readonly ConfigLayer[], defaults: Partial<Config> = {}): ResolvedConfig {
  const config = { ...DEFAULTS, ...defaults } as Config;
  const warnings: string[] = [];
  const origins: Partial<Record<ConfigKey, ConfigLayer>> = {};
  const known = new Set<string>(CONFIG_KEYS);
  for (const layer of layers) {
    const ignored: string[] = [];
    const userOnly: string[] = [];
    for (const [key, raw] of Object.entries(layer.data)) {
      if (!known.has(key)) {
        warnings.push(`Unknown config key ${JSON.stringify(key)} in ${layer.file}${layer.lineOf(key) ? ` (line ${layer.lineOf(key)})` : ''}: ignored.`);
        continue;
      }
      const k = key as ConfigKey;
      if (layer.kind !== 'global' && USER_ONLY_KEYS.has(k)) {
        userOnly.push(k); // never applied from a repository file, trusted or not
        continue;
      }
      if (layer.kind !== 'global' && !layer.trusted && !REPO_SAFE_KEYS.has(k)) {
        ignored.push(k); // not applied, so not validated either: a bad value here breaks nothing
        continue;
      }
      const value = validateKey(layer, k, raw);
      (config as unknown as Record<string, unknown>)[k] = value;
      origins[k] = layer;
    }
    if (ignored.length > 0) {
      warnings.push(
        `Ignored ${ignored.join(', ')} from ${layer.file}: a repository file may set only ${[...REPO_SAFE_KEYS].join(', ')} until you trust it. ` +
          'Review the file, then run `tk config trust`.',
      );
    }
    if (userOnly.length > 0) {
      warnings.push(
        `Ignored ${userOnly.join(', ')} from ${layer.file}${layer.lineOf(userOnly[0] as string) ? ` (line ${layer.lineOf(userOnly[0] as string)})` : ''}: only your own config file may set ${userOnly.length > 1 ? 'these keys' : 'this key'}, even after \`tk config trust\`. ` +
          'Set it in your global config.toml (`tk config edit`).',
      );
    }
  }
  return { config, warnings, origins };
}
