// Runs the user's editor on a file with the terminal inherited (tk config --edit).
import { spawn } from 'node:child_process';
import { TkError } from '../core/errors.js';

/** $VISUAL, then $EDITOR, then vi. The variable may hold arguments ("code -w"); split on spaces. */
export function editorArgv(env: NodeJS.ProcessEnv): string[] {
  const raw = (env['VISUAL'] || env['EDITOR'] || 'vi').trim();
  return raw.split(/\s+/).filter((p) => p.length > 0);
}

export function runEditor(file: string, env: NodeJS.ProcessEnv): Promise<number> {
  const [cmd, ...args] = editorArgv(env) as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args, file], { stdio: 'inherit', env });
    child.on('error', (e) =>
      reject(new TkError('config', `Could not start the editor ${JSON.stringify(cmd)}: ${e.message}`, { hint: 'Set EDITOR (or VISUAL) to an editor on your PATH.', cause: e })),
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
