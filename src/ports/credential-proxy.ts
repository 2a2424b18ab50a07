// src/ports/credential-proxy.ts
export interface GuestCredentials {
  /** Exported in the guest's ~/.profile (ANTHROPIC_BASE_URL, per-VM token, HTTP(S)_PROXY, NO_PROXY, …). */
  env: Record<string, string>;
  /** Files written in the guest (direct mode only, e.g. ~/.claude/.credentials.json), path relative to $HOME, mode 0600. */
  files: { path: string; content: string }[];
  /** Human label of the credential source ("ANTHROPIC_API_KEY env var", "none", …) for the log. Never the secret. */
  source: string;
}
export interface CredentialProxyControl {
  /** Proxy mode: starts the proxy daemon if needed, issues the VM's own random token (host-side 0600 store). Direct mode: resolves the host credential. */
  guestCredentials(vmName: string): Promise<GuestCredentials>;
  /** Token dies with the VM (called by destroy). */
  revoke(vmName: string): Promise<void>;
}
