// Host files the engine needs (per-VM log, dirs, tk's SSH key, known_hosts, Claude settings,
// provisioning scripts). Implemented in src/adapters/host-files.ts.

export interface HostFiles {
  /** Appends lines (each gets a newline) to `$TK_HOME/logs/<vm>.log`. */
  appendLog(vm: string, text: string): void;
  logPath(vm: string): string;
  /** Creates `$TK_HOME/vms/<vm>/status` and returns it. */
  ensureStatusDir(vm: string): string;
  /** tk's key pair (generated once); returns the private key path and the public key line. */
  ensureSshKey(): Promise<{ keyPath: string; publicKey: string }>;
  /** Per-VM known_hosts for OpenSSH; written with the verified host key. */
  knownHostsPath(vm: string): string;
  writeKnownHosts(vm: string, hostPattern: string, hostKey: string | null): void;
  /** A short ControlPath for OpenSSH connection reuse. */
  controlPath(vm: string): string;
  /** `$HOME/.claude/<d>` for each d that exists (absolute paths). */
  existingClaudeDirs(dirs: readonly string[]): Array<{ name: string; path: string }>;
  /** Host `~/.claude/settings.json` text, or null when absent/unreadable. */
  readClaudeSettings(): string | null;
  /** `$TK_HOME/profiles/*.sh` (sorted) then the given paths; missing given paths are reported. */
  readScripts(paths: readonly string[]): { scripts: Array<{ path: string; content: string }>; missing: string[] };
  /** `<mainRoot>/.git` when it is a directory. */
  gitDir(mainRoot: string): string | null;
  /** Removes the log and the per-VM dir (status, known_hosts). */
  removeVmFiles(vm: string): { logsRemoved: boolean };
}
