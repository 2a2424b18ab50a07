// Runs an interactive command (ssh) with the terminal inherited, for the dashboard's hand-off.
// The caller has already released the terminal (Ink unmounted, raw mode off).
import { spawn } from 'node:child_process';

export interface HandoffCommand {
  file: string;
  args: string[];
  env?: Record<string, string>;
}

/** Resolves with the exit code (128+signal when killed); rejects only when it cannot start. */
export function runInherited(cmd: HandoffCommand): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.file, cmd.args, { stdio: 'inherit', env: { ...process.env, ...cmd.env } });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code !== null) resolve(code);
      else resolve(signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : signal === 'SIGHUP' ? 129 : 1);
    });
  });
}
