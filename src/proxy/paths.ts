// Where tk keeps its host-side state when the caller gives no explicit home (contracts.md "Paths").
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultTkHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env['TK_HOME']) return env['TK_HOME'];
  const home = env['HOME'] || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'tk');
  return join(env['XDG_STATE_HOME'] || join(home, '.local', 'state'), 'tk');
}
