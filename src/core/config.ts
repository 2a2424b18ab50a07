// Configuration: key table, defaults, layered merge, validation and the repository trust boundary.
// Pure: the loader (src/adapters/config-loader.ts) reads the files, parses TOML and passes tables in.
//
// Layers, later wins per key (arrays replace): defaults < global config.toml < repo `.tachikoma.toml`
// < `.tachikoma.local.toml`. Both repo files live in the worktree, which the guest VM can write, so
// both are untrusted: they may set only REPO_SAFE_KEYS until the user runs `tk config trust`, which
// records a hash of their content (editing either file revokes the trust).
//
// Validation is a hand-written key table rather than zod: `tk list` loads config on every run and
// the table costs nothing at startup; errors name file, key and line either way.
import { TkError } from './errors.js';

export interface Config {
  base_image: string;
  vm_cpus: number;
  vm_memory: number;
  vm_display: string;
  ssh_user: string;
  ssh_port: number;
  worktree_dir: string | null;
  /** Absolute host paths (resolved against the file that set them). */
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
  /** null = the proxy's built-in allowlist (src/proxy/config.ts DEFAULT_ALLOW). */
  credential_proxy_allow: string[] | null;
  /** tart binary; env TK_TART wins; else `tart` on PATH. */
  tart_path: string | null;
  /** Run in the guest to install the agent; empty string = skip. */
  agent_install_command: string;
  /** Timeout for short tart commands (list, get, ip, set…). */
  tart_timeout_secs: number;
  /** `[dashboard]` table, passed through; validated by src/tui/config.ts. */
  dashboard: Record<string, unknown>;
}

export const DEFAULT_AGENT_INSTALL = 'curl -fsSL https://claude.ai/install.sh | bash';

export const DEFAULT_CONFIG: Config = {
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
  credential_proxy_allow: null,
  tart_path: null,
  agent_install_command: DEFAULT_AGENT_INSTALL,
  tart_timeout_secs: 60,
  dashboard: {},
};

/** Keys a committed/guest-writable repo file may set without trust: none can touch the host or credentials. */
export const REPO_SAFE_KEYS: readonly (keyof Config)[] = [
  'base_image', 'vm_cpus', 'vm_memory', 'vm_display', 'boot_timeout_secs', 'share_claude_dirs', 'claude_flags', 'provision_scripts',
];

type Kind = 'string' | 'string?' | 'bool' | 'strings' | 'strings?' | 'table' | { int: [number, number] };
const KEYS: Record<keyof Config, Kind> = {
  base_image: 'string',
  vm_cpus: { int: [1, 256] },
  vm_memory: { int: [256, 1024 * 1024] },
  vm_display: 'string',
  ssh_user: 'string',
  ssh_port: { int: [1, 65535] },
  worktree_dir: 'string?',
  provision_scripts: 'strings',
  claude_flags: 'strings',
  boot_timeout_secs: { int: [1, 86400] },
  prune_after_days: { int: [0, 36500] },
  credential_command: 'string?',
  api_key_command: 'string?',
  sync_gh_auth: 'bool',
  share_claude_dirs: 'strings',
  sync_mcp_servers: 'bool',
  credential_proxy: 'bool',
  credential_proxy_port: { int: [1, 65535] },
  credential_proxy_bind: 'string',
  credential_proxy_ttl_secs: { int: [0, 86400 * 365] },
  credential_proxy_upstream: 'string',
  credential_proxy_allow: 'strings?',
  tart_path: 'string?',
  agent_install_command: 'string',
  tart_timeout_secs: { int: [1, 3600] },
  dashboard: 'table',
};
export const CONFIG_KEYS = Object.keys(KEYS) as (keyof Config)[];

export type LayerKind = 'global' | 'repo' | 'local';
export interface ConfigLayer {
  kind: LayerKind;
  /** Absolute path of the file. */
  file: string;
  /** Directory relative paths resolve against (repo root for repo layers). */
  baseDir: string;
  /** Raw TOML text (for line numbers). */
  text: string;
  /** Parsed top-level table. */
  table: Record<string, unknown>;
}

export interface ResolvedConfig {
  config: Config;
  warnings: string[];
  /** Which file set each key (absent = default). */
  origin: Partial<Record<keyof Config, string>>;
}

/** 1-based line of `key = …` in TOML text (top-level, or inside `[table]` when given), or null. */
export function findKeyLine(text: string, key: string, table?: string): number | null {
  const lines = text.split(/\r?\n/);
  let current = '';
  const esc = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^\\s*(?:${esc}|"${esc}"|'${esc}')\\s*=`);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? '';
    const h = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(l);
    if (h) {
      current = (h[1] ?? '').replace(/["']/g, '');
      continue;
    }
    if (current === (table ?? '') && re.test(l)) return i + 1;
  }
  return null;
}

function where(layer: ConfigLayer, key: string): string {
  const line = findKeyLine(layer.text, key);
  return line ? `${layer.file}:${line}` : layer.file;
}

/** POSIX path helpers (core has no node:path). */
export function normalizePosix(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(part);
  }
  return (abs ? '/' : '') + out.join('/');
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a table';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function checkType(kind: Kind, v: unknown): string | null {
  if (typeof kind === 'object') {
    const [lo, hi] = kind.int;
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) return `expected an integer, got ${describe(v)}`;
    if (n < lo || n > hi) return `expected an integer from ${lo} to ${hi}, got ${n}`;
    return null;
  }
  switch (kind) {
    case 'string':
    case 'string?':
      return typeof v === 'string' ? null : `expected a string, got ${describe(v)}`;
    case 'bool':
      return typeof v === 'boolean' ? null : `expected true or false, got ${describe(v)}`;
    case 'strings':
    case 'strings?':
      return Array.isArray(v) && v.every((x) => typeof x === 'string') ? null : `expected an array of strings, got ${describe(v)}`;
    case 'table':
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? null : `expected a table, got ${describe(v)}`;
  }
}

/** An IP literal (v4 or v6), pure. */
export function isIpLiteral(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s)) return s.split('.').every((o) => Number(o) <= 255 && String(Number(o)) === o);
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  const parts = s.split('::');
  if (parts.length > 2) return false;
  const groups = parts.flatMap((p) => (p === '' ? [] : p.split(':')));
  const hasV4 = groups.length > 0 && groups[groups.length - 1]!.includes('.');
  const hexGroups = hasV4 ? groups.slice(0, -1) : groups;
  if (hasV4 && !isIpLiteral(groups[groups.length - 1]!)) return false;
  if (!hexGroups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const count = hexGroups.length + (hasV4 ? 2 : 0);
  return parts.length === 2 ? count < 8 : count === 8;
}

/** 16 bytes of an IP literal (IPv4 as ::ffff:a.b.c.d), or null. */
export function ipBytes(s: string): number[] | null {
  if (!isIpLiteral(s)) return null;
  if (!s.includes(':')) return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...s.split('.').map(Number)];
  const [head = '', tail] = s.split('::') as [string, string | undefined];
  const groups = (part: string): number[] => {
    const out: number[] = [];
    for (const g of part.split(':').filter((x) => x !== '')) {
      if (g.includes('.')) out.push(...g.split('.').map(Number));
      else out.push(parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff);
    }
    return out;
  };
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  return [...h, ...new Array<number>(16 - h.length - t.length).fill(0), ...t];
}

/** 0.0.0.0, ::, and every spelling of them (::ffff:0.0.0.0, ::ffff:0:0, 0:0:…): all bind every interface. */
export function isUnspecified(ip: string): boolean {
  const b = ipBytes(ip);
  if (!b) return false;
  const zeroTo = (n: number) => b.slice(0, n).every((x) => x === 0);
  return b.every((x) => x === 0) || (zeroTo(10) && b[10] === 0xff && b[11] === 0xff && b.slice(12).every((x) => x === 0));
}

/**
 * Merges the layers. `trustedRepo`: whether the user trusted the current content of the repo files.
 * Throws one TkError('config') listing every invalid value with file:line.
 */
export function resolveConfig(layers: readonly ConfigLayer[], opts: { trustedRepo: boolean; home?: string }): ResolvedConfig {
  const config: Config = { ...DEFAULT_CONFIG, share_claude_dirs: [...DEFAULT_CONFIG.share_claude_dirs] };
  const warnings: string[] = [];
  const errors: string[] = [];
  const origin: ResolvedConfig['origin'] = {};
  for (const layer of layers) {
    const untrusted = layer.kind !== 'global' && !opts.trustedRepo;
    const ignored: string[] = [];
    for (const [key, value] of Object.entries(layer.table)) {
      if (!(key in KEYS)) {
        const line = findKeyLine(layer.text, key);
        warnings.push(`${layer.file}${line ? `:${line}` : ''}: unknown key '${key}' ignored (see \`tk config show\` for the known keys).`);
        continue;
      }
      const k = key as keyof Config;
      if (untrusted && !REPO_SAFE_KEYS.includes(k)) {
        ignored.push(k);
        continue;
      }
      const kind = KEYS[k];
      const bad = checkType(kind, value);
      if (bad) {
        errors.push(`${where(layer, key)}: ${key}: ${bad}`);
        continue;
      }
      let v: unknown = typeof value === 'bigint' ? Number(value) : value;
      if (k === 'share_claude_dirs') {
        const wrong = (v as string[]).find((d) => !/^[A-Za-z0-9_-]+$/.test(d));
        if (wrong !== undefined) {
          errors.push(`${where(layer, key)}: share_claude_dirs: invalid entry ${JSON.stringify(wrong)}: only letters, digits, '-' and '_' are allowed (a directory name under ~/.claude).`);
          continue;
        }
      }
      if (k === 'credential_proxy_bind') {
        const b = (v as string).replace(/^\[(.*)\]$/, '$1');
        if (!isIpLiteral(b)) {
          errors.push(`${where(layer, key)}: credential_proxy_bind: ${JSON.stringify(v)} is not an IP address literal (hostnames are not allowed).`);
          continue;
        }
        if (isUnspecified(b)) {
          errors.push(`${where(layer, key)}: credential_proxy_bind must not be 0.0.0.0 or :: (that would expose your credentials to the network).`);
          continue;
        }
        v = b;
      }
      if (k === 'provision_scripts') {
        const out: string[] = [];
        let bad2: string | null = null;
        for (const s of v as string[]) {
          if (s.trim() === '') {
            bad2 = 'empty path';
            break;
          }
          if (layer.kind !== 'global') {
            if (s.startsWith('/') || s.startsWith('~')) {
              bad2 = `${JSON.stringify(s)} is absolute; repository scripts must be paths inside the repository`;
              break;
            }
            const n = normalizePosix(s);
            if (n === '..' || n.startsWith('../')) {
              bad2 = `${JSON.stringify(s)} leaves the repository`;
              break;
            }
            out.push(`${layer.baseDir.replace(/\/+$/, '')}/${n}`);
          } else if (s.startsWith('~/') && opts.home) out.push(normalizePosix(`${opts.home}/${s.slice(2)}`));
          else out.push(s.startsWith('/') ? normalizePosix(s) : normalizePosix(`${layer.baseDir}/${s}`));
        }
        if (bad2) {
          errors.push(`${where(layer, key)}: provision_scripts: ${bad2}.`);
          continue;
        }
        v = out;
      }
      if (k === 'worktree_dir' && typeof v === 'string' && v.startsWith('~/') && opts.home) v = normalizePosix(`${opts.home}/${v.slice(2)}`);
      (config as unknown as Record<string, unknown>)[k] = Array.isArray(v) ? [...(v as unknown[])] : v;
      origin[k] = layer.file;
    }
    if (ignored.length) {
      warnings.push(
        `${layer.file} sets ${ignored.join(', ')}, which tk ignores until you trust this repository. Review the file, then run: tk config trust`,
      );
    }
  }
  if (errors.length) {
    throw new TkError('config', `Invalid configuration:\n  ${errors.join('\n  ')}`, { hint: 'Fix the value(s) above; `tk config show` prints the merged configuration and where each key came from.' });
  }
  return { config, warnings, origin };
}
