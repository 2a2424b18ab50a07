// Host credential waterfall (tachikoma §7.1), pure: every source is injected.
// Whether a credential is an API key or an OAuth token is decided by its source, never by
// looking at the value. Secrets only ever live in the returned objects (proxy memory).

export type CredentialSourceId =
  | 'keychain'
  | 'oauth-env'
  | 'credential-command'
  | 'credentials-file'
  | 'keychain-credentials'
  | 'api-key-env'
  | 'api-key-command'
  | 'provider-env'
  | 'none';

export type HostCredential =
  | { kind: 'api-key'; source: CredentialSourceId; label: string; value: string }
  | { kind: 'oauth'; source: CredentialSourceId; label: string; value: string }
  /** A Claude Code credentials JSON document (`~/.claude/.credentials.json` shape). */
  | { kind: 'oauth-file'; source: CredentialSourceId; label: string; value: string }
  /** Bedrock / Vertex / custom base URL: the host talks to another provider; only direct mode can use it. */
  | { kind: 'provider-env'; source: 'provider-env'; label: string; provider: 'bedrock' | 'vertex' | 'proxy'; vars: Record<string, string> }
  | { kind: 'none'; source: 'none'; label: 'none' };

/** Where the waterfall reads from. The adapter (src/adapters/credential-sources.ts) implements it. */
export interface CredentialSources {
  /** macOS keychain generic password by service name; undefined when absent or not on macOS. */
  keychain(service: string): Promise<string | undefined>;
  env(name: string): string | undefined;
  /** Text of `~/.claude/.credentials.json`, undefined when unreadable. */
  credentialsFile(): Promise<string | undefined>;
  /** Runs a trusted command via `sh -c`; trimmed stdout on exit 0, else undefined. */
  runCommand(command: string): Promise<string | undefined>;
}

export interface WaterfallOptions {
  /** Already filtered by the config loader: only set when it comes from a trusted config layer. */
  credentialCommand?: string | undefined;
  apiKeyCommand?: string | undefined;
}

export const KEYCHAIN_API_KEY_SERVICE = 'Claude Code';
export const KEYCHAIN_CREDENTIALS_SERVICE = 'Claude Code-credentials';

const nonEmpty = (s: string | undefined): string | undefined => {
  const t = s?.trim();
  return t ? t : undefined;
};

/**
 * First hit wins, in tachikoma's order; one addition: the keychain item
 * `Claude Code-credentials` (where Claude Code on macOS keeps its OAuth login) is consulted right
 * after the credentials file, so proxy mode can use it host-side instead of copying it into the VM.
 */
export async function resolveHostCredential(src: CredentialSources, opts: WaterfallOptions = {}): Promise<HostCredential> {
  const keychain = nonEmpty(await src.keychain(KEYCHAIN_API_KEY_SERVICE));
  if (keychain) return { kind: 'api-key', source: 'keychain', label: 'macOS Keychain', value: keychain };

  const oauthEnv = nonEmpty(src.env('CLAUDE_CODE_OAUTH_TOKEN'));
  if (oauthEnv) return { kind: 'oauth', source: 'oauth-env', label: 'CLAUDE_CODE_OAUTH_TOKEN env var', value: oauthEnv };

  if (opts.credentialCommand?.trim()) {
    const out = nonEmpty(await src.runCommand(opts.credentialCommand));
    if (out) return { kind: 'oauth', source: 'credential-command', label: 'credential command', value: out };
  }

  const file = await src.credentialsFile();
  if (file?.trim()) return { kind: 'oauth-file', source: 'credentials-file', label: 'credentials file', value: file };

  const kcCreds = nonEmpty(await src.keychain(KEYCHAIN_CREDENTIALS_SERVICE));
  if (kcCreds) {
    return { kind: 'oauth-file', source: 'keychain-credentials', label: 'macOS Keychain (Claude Code-credentials)', value: kcCreds };
  }

  const apiKey = nonEmpty(src.env('ANTHROPIC_API_KEY'));
  if (apiKey) return { kind: 'api-key', source: 'api-key-env', label: 'ANTHROPIC_API_KEY env var', value: apiKey };

  if (opts.apiKeyCommand?.trim()) {
    const out = nonEmpty(await src.runCommand(opts.apiKeyCommand));
    if (out) return { kind: 'api-key', source: 'api-key-command', label: 'API key command', value: out };
  }

  const providers: { flag: string; provider: 'bedrock' | 'vertex' | 'proxy'; label: string; extra: string[] }[] = [
    { flag: 'CLAUDE_CODE_USE_BEDROCK', provider: 'bedrock', label: 'AWS Bedrock', extra: ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] },
    { flag: 'CLAUDE_CODE_USE_VERTEX', provider: 'vertex', label: 'Google Vertex', extra: ['CLOUD_ML_REGION', 'ANTHROPIC_VERTEX_PROJECT_ID', 'GOOGLE_APPLICATION_CREDENTIALS'] },
    { flag: 'ANTHROPIC_BASE_URL', provider: 'proxy', label: 'proxy', extra: [] },
  ];
  for (const p of providers) {
    const v = nonEmpty(src.env(p.flag));
    if (!v) continue;
    const vars: Record<string, string> = { [p.flag]: v };
    for (const name of p.extra) {
      const x = nonEmpty(src.env(name));
      if (x) vars[name] = x;
    }
    return { kind: 'provider-env', source: 'provider-env', label: p.label, provider: p.provider, vars };
  }
  return { kind: 'none', source: 'none', label: 'none' };
}

/** Access token inside a Claude Code credentials document (`claudeAiOauth.accessToken`, else `accessToken`). */
export function extractOAuthToken(doc: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const rec = parsed as Record<string, unknown>;
  const nested = rec['claudeAiOauth'];
  if (nested && typeof nested === 'object') {
    const t = (nested as Record<string, unknown>)['accessToken'];
    if (typeof t === 'string' && t.trim()) return t.trim();
  }
  const top = rec['accessToken'];
  return typeof top === 'string' && top.trim() ? top.trim() : undefined;
}

/** The beta flag the Messages API requires for OAuth (Claude subscription) access tokens. */
export const OAUTH_BETA = 'oauth-2025-04-20';

export type UpstreamAuth =
  | { ok: true; header: 'x-api-key' | 'authorization'; value: string; oauth: boolean; label: string }
  | { ok: false; status: 503; message: string; label: string };

/** Which header the proxy injects upstream for a host credential. */
export function upstreamAuth(cred: HostCredential): UpstreamAuth {
  switch (cred.kind) {
    case 'api-key':
      return { ok: true, header: 'x-api-key', value: cred.value, oauth: false, label: cred.label };
    case 'oauth':
      return { ok: true, header: 'authorization', value: `Bearer ${cred.value}`, oauth: true, label: cred.label };
    case 'oauth-file': {
      const token = extractOAuthToken(cred.value);
      if (!token) {
        return { ok: false, status: 503, label: cred.label, message: `Cannot extract an OAuth access token from the ${cred.label}. Log in again with \`claude\` on the host, or set ANTHROPIC_API_KEY.` };
      }
      return { ok: true, header: 'authorization', value: `Bearer ${token}`, oauth: true, label: cred.label };
    }
    case 'provider-env':
      return { ok: false, status: 503, label: cred.label, message: `The host uses ${cred.label} credentials, which the credential proxy cannot forward. Set credential_proxy = false to pass them to the VM directly.` };
    case 'none':
      return { ok: false, status: 503, label: 'none', message: 'No credentials available on the host. Set ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN for the proxy, or log in with `claude` on the host, then retry.' };
  }
}

/**
 * TTL cache over the waterfall. A "none" (or failed) result is never cached, so a proxy started
 * before the user logged in picks the credential up on the next request. Concurrent callers share
 * one resolution in flight.
 */
export class CredentialCache {
  private cached: { cred: HostCredential; at: number } | undefined;
  private inflight: Promise<HostCredential> | undefined;

  constructor(
    private readonly resolve: () => Promise<HostCredential>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<HostCredential> {
    const c = this.cached;
    if (c && this.now() - c.at < this.ttlMs) return c.cred;
    if (this.inflight) return this.inflight;
    this.inflight = (async () => {
      try {
        const cred = await this.resolve();
        this.cached = cred.kind === 'none' ? undefined : { cred, at: this.now() };
        return cred;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  /** Label of the cached credential, without resolving anything (for /health). */
  peekLabel(): string | undefined {
    const c = this.cached;
    return c && this.now() - c.at < this.ttlMs ? c.cred.label : undefined;
  }

  /** Forget the cached credential (e.g. the upstream answered 401 with it). */
  invalidate(): void {
    this.cached = undefined;
  }
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** Direct mode (credential_proxy = false): what the guest gets (tachikoma §5 step 5, minus its bugs). */
export function directGuestCredentials(cred: HostCredential): { env: Record<string, string>; files: { path: string; content: string }[]; source: string; warnings: string[] } {
  const env: Record<string, string> = {};
  const files: { path: string; content: string }[] = [];
  const warnings: string[] = [];
  switch (cred.kind) {
    case 'api-key':
      env['ANTHROPIC_API_KEY'] = cred.value;
      break;
    case 'oauth':
      env['CLAUDE_CODE_OAUTH_TOKEN'] = cred.value;
      break;
    case 'oauth-file':
      files.push({ path: '.claude/.credentials.json', content: cred.value });
      break;
    case 'provider-env':
      for (const [k, v] of Object.entries(cred.vars)) {
        if (ENV_NAME.test(k)) env[k] = v;
        else warnings.push(`skipped invalid environment variable name ${JSON.stringify(k)}`);
      }
      break;
    case 'none':
      warnings.push('No credentials found on the host: Claude Code in the VM will ask you to log in.');
      break;
  }
  return { env, files, source: cred.label, warnings };
}
