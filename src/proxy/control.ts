// CredentialProxyControl: what provisioning puts into a guest.
// Proxy mode: the guest gets the proxy URL and its own random token, never a host credential.
// Direct mode (credential_proxy = false): the host credential itself (tachikoma §5 step 5).
import { directGuestCredentials, resolveHostCredential } from '../core/credentials.js';
import { hostCredentialSources } from '../adapters/credential-sources.js';
import type { CredentialProxyControl, GuestCredentials } from '../ports/credential-proxy.js';
import { resolveProxyConfig, type ProxyConfig } from './config.js';
import { ensureRunning } from './lifecycle.js';
import { TokenStore } from './tokens.js';

/** Claude Code settings that keep it from calling anything but the base URL. */
export const QUIET_CLAUDE_ENV: Readonly<Record<string, string>> = {
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_AUTOUPDATER: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
};

/** The guest env for proxy mode (pure; exported for tests and docs). */
export function proxyGuestEnv(bind: string, port: number, token: string): Record<string, string> {
  const hostPort = `${bind.includes(':') ? `[${bind}]` : bind}:${port}`;
  const base = `http://${hostPort}`;
  // The token is base64url: safe in URL userinfo as is. Clients send it as Proxy-Authorization: Basic.
  const proxyUrl = `http://tk:${token}@${hostPort}`;
  // The proxy's own address is in NO_PROXY: API calls go straight to it in origin form with the
  // token in Authorization (clients that ignore NO_PROXY send absolute form with the same token,
  // which the proxy also accepts). Guest-local services stay local.
  const noProxy = ['localhost', '127.0.0.1', '::1'];
  if (!noProxy.includes(bind)) noProxy.push(bind);
  return {
    ANTHROPIC_BASE_URL: base,
    // AUTH_TOKEN (sent as Authorization: Bearer) rather than API_KEY: Claude Code's TUI asks
    // "use this API key?" (default No) for a custom API key, not for an auth token.
    ANTHROPIC_AUTH_TOKEN: token,
    HTTP_PROXY: proxyUrl,
    HTTPS_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    https_proxy: proxyUrl,
    NO_PROXY: noProxy.join(','),
    no_proxy: noProxy.join(','),
    ...QUIET_CLAUDE_ENV,
  };
}

export interface ProxyControlOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export function createProxyControl(config: ProxyConfig, paths: { home: string }, opts: ProxyControlOptions = {}): CredentialProxyControl {
  const cfg = resolveProxyConfig(config);
  const store = new TokenStore(paths.home);
  const env = opts.env ?? process.env;
  return {
    async guestCredentials(vmName: string): Promise<GuestCredentials> {
      if (cfg.credential_proxy) {
        const health = await ensureRunning({ config: cfg, home: paths.home, env });
        const token = store.issue(vmName);
        return {
          env: proxyGuestEnv(cfg.credential_proxy_bind, cfg.credential_proxy_port, token),
          files: [],
          source: `credential proxy at http://${health.bind}:${health.port} (per-VM token; the host credential stays on the host)`,
        };
      }
      const cred = await resolveHostCredential(hostCredentialSources({ env, ...(opts.log ? { log: opts.log } : {}) }), {
        credentialCommand: cfg.credential_command,
        apiKeyCommand: cfg.api_key_command,
      });
      const g = directGuestCredentials(cred);
      for (const w of g.warnings) opts.log?.(w);
      return { env: g.env, files: g.files, source: g.source };
    },
    async revoke(vmName: string): Promise<void> {
      store.revoke(vmName);
    },
  };
}
