// Credential proxy configuration: the config keys (tachikoma names), defaults and validation.
// None of these keys is repo-settable: the config loader only takes them from trusted layers.
import { isIP } from 'node:net';
import { isUnspecifiedIp, type Config } from '../core/config.js';
import { TkError } from '../core/errors.js';

/**
 * The proxy's keys, as core Config types them; the two commands are optional here (the daemon
 * gets them from its own config read, where absent means unset, not null).
 */
export type ProxyConfig = Pick<Config, 'credential_proxy' | 'credential_proxy_port' | 'credential_proxy_bind' | 'credential_proxy_ttl_secs' | 'credential_proxy_upstream' | 'credential_proxy_allow'> & {
  credential_command?: string | undefined;
  api_key_command?: string | undefined;
};

/**
 * What Claude Code (installer, API, downloads) and the usual package managers need.
 * A pattern without a port allows 80 and 443.
 */
export const DEFAULT_ALLOW: readonly string[] = [
  // Claude Code: API (only reached directly when a client ignores ANTHROPIC_BASE_URL), installer, downloads
  'api.anthropic.com',
  'claude.ai',
  'downloads.claude.ai',
  'storage.googleapis.com',
  // npm / yarn / node
  'registry.npmjs.org',
  'registry.yarnpkg.com',
  'nodejs.org',
  'deb.nodesource.com',
  // Debian / Ubuntu apt
  'deb.debian.org',
  'security.debian.org',
  'archive.ubuntu.com',
  'security.ubuntu.com',
  'ports.ubuntu.com',
  // Python
  'pypi.org',
  'files.pythonhosted.org',
  // GitHub (git over https, releases, gh CLI)
  'github.com',
  'api.github.com',
  'codeload.github.com',
  'cli.github.com',
  'objects.githubusercontent.com',
  'raw.githubusercontent.com',
  'release-assets.githubusercontent.com',
  // Rust / Go
  'crates.io',
  'index.crates.io',
  'static.crates.io',
  'static.rust-lang.org',
  'proxy.golang.org',
  'sum.golang.org',
];

export const DEFAULT_PROXY_CONFIG: ProxyConfig = {
  credential_proxy: true,
  credential_proxy_port: 19280,
  credential_proxy_bind: '192.168.64.1',
  credential_proxy_ttl_secs: 300,
  credential_proxy_upstream: 'https://api.anthropic.com',
  credential_proxy_allow: [...DEFAULT_ALLOW],
};

/** An IP literal to listen on; never a wildcard address. */
export function validateBind(bind: string, origin = 'credential_proxy_bind'): string {
  const b = bind.trim().replace(/^\[(.*)\]$/, '$1');
  if (!isIP(b)) {
    throw new TkError('config', `Invalid ${origin} ${JSON.stringify(bind)}: expected an IP address such as 192.168.64.1 or 127.0.0.1.`, {
      hint: 'Use the host address the VMs reach (192.168.64.1 for Tart, 127.0.0.1 for tart-sim).',
    });
  }
  if (isUnspecifiedIp(b)) {
    throw new TkError('config', `Refusing to bind the credential proxy to ${b} (${origin}): that would expose it on every network.`, {
      hint: 'Use the host address the VMs reach (192.168.64.1 for Tart, 127.0.0.1 for tart-sim).',
    });
  }
  return b;
}

export function validatePort(port: number, origin = 'credential_proxy_port'): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TkError('config', `Invalid ${origin} ${String(port)}: expected a port number 1-65535.`, { hint: 'The default is 19280.' });
  }
  return port;
}

const HOST_LABEL = /^(\*\.)?([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i;

/** Parsed allowlist entry. */
export interface AllowPattern {
  /** Lowercase host name or IP literal (IPv6 without brackets); for wildcards, the suffix after `*.`. */
  host: string;
  wildcard: boolean;
  /** undefined = 80 and 443; '*' = any port. */
  port: number | '*' | undefined;
  source: string;
}

export function parseAllowPattern(p: string): AllowPattern {
  const raw = p.trim();
  let host = raw;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\*|\d+))?$/.exec(raw);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if ((raw.match(/:/g) ?? []).length === 1) {
    const i = raw.lastIndexOf(':');
    host = raw.slice(0, i);
    portText = raw.slice(i + 1);
  }
  host = host.toLowerCase().replace(/\.$/, '');
  const wildcard = host.startsWith('*.');
  if (wildcard) host = host.slice(2);
  const validHost = isIP(host) ? !wildcard : HOST_LABEL.test(host);
  let port: number | '*' | undefined;
  if (portText !== undefined) port = portText === '*' ? '*' : Number(portText);
  if (!host || !validHost || (typeof port === 'number' && (!Number.isInteger(port) || port < 1 || port > 65535))) {
    throw new TkError('config', `Invalid credential_proxy_allow entry ${JSON.stringify(p)}: expected host, host:port, *.domain, IP or [IPv6]:port.`, {
      hint: 'Example: credential_proxy_allow = ["registry.npmjs.org", "*.example.com", "10.0.0.5:8080"]',
    });
  }
  return { host, wildcard, port, source: raw };
}

/** Fill defaults and validate; throws TkError('config') with what to do. */
export function resolveProxyConfig(partial: Partial<ProxyConfig> = {}): ProxyConfig {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<ProxyConfig>;
  const c: ProxyConfig = { ...DEFAULT_PROXY_CONFIG, ...defined, credential_proxy_allow: [...(defined.credential_proxy_allow ?? DEFAULT_ALLOW)] };
  c.credential_proxy_bind = validateBind(c.credential_proxy_bind);
  validatePort(c.credential_proxy_port);
  if (!Number.isFinite(c.credential_proxy_ttl_secs) || c.credential_proxy_ttl_secs < 0) {
    throw new TkError('config', `Invalid credential_proxy_ttl_secs ${String(c.credential_proxy_ttl_secs)}: expected a number of seconds >= 0.`, { hint: 'The default is 300.' });
  }
  let u: URL;
  try {
    u = new URL(c.credential_proxy_upstream);
  } catch {
    throw new TkError('config', `Invalid credential_proxy_upstream ${JSON.stringify(c.credential_proxy_upstream)}: expected a URL such as https://api.anthropic.com.`);
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username || u.password || u.search || u.hash) {
    throw new TkError('config', `Invalid credential_proxy_upstream ${JSON.stringify(c.credential_proxy_upstream)}: expected http(s)://host[:port][/prefix] without credentials or query.`);
  }
  for (const p of c.credential_proxy_allow) parseAllowPattern(p);
  return c;
}
