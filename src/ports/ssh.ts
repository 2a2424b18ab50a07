// SSH to guests over one connection (ssh2 in src/adapters/ssh.ts). Scripts and secrets travel in
// the channel's stdin, never in a command line.

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** Path of tk's private key (tried first). */
  keyPath: string;
  /** Fallback password auth (first boot, before tk's key is installed). */
  password?: string;
  /**
   * Called with the server's host key as an OpenSSH public key line (`ssh-ed25519 AAAA…`).
   * Returning false aborts the handshake (stale DHCP lease: another VM answers on that IP).
   */
  verifyHostKey?: (key: string) => boolean;
  readyTimeoutMs: number;
  signal?: AbortSignal;
}

export interface SshRunOptions {
  /** Sent on stdin, then EOF. */
  stdin?: string | AsyncIterable<Uint8Array | string>;
  onStdout?: (chunk: Uint8Array) => void;
  onStderr?: (chunk: Uint8Array) => void;
  signal?: AbortSignal;
  /** Kill the remote command after this many ms (exit code 124). */
  timeoutMs?: number;
}

export interface SshSession {
  /** The host key accepted for this connection (OpenSSH public key line). */
  readonly hostKey: string;
  /** How tk authenticated. */
  readonly auth: 'key' | 'password';
  /** Runs `command` (a fixed, secret-free command line); resolves with its exit code. */
  run(command: string, opts?: SshRunOptions): Promise<number>;
  close(): void;
}

export interface SshPort {
  connect(target: SshTarget): Promise<SshSession>;
}
