// Runs the interactive OpenSSH command of `tk enter` with the terminal inherited.
import { spawn } from 'node:child_process';
import type { InteractiveCommand } from '../core/service.js';
import { TkError } from '../core/errors.js';

export function runInteractive(cmd: InteractiveCommand, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.file, cmd.args, { stdio: 'inherit', env: { ...env, ...(cmd.env ?? {}) } });
    child.once('error', (e) =>
      reject(new TkError('ssh', `Cannot run ${cmd.file}: ${e.message}`, { hint: 'Install the OpenSSH client (ssh).' })),
    );
    child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 + 2 : 1)));
  });
}
