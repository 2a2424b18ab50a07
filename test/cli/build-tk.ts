// Builds the tk CLI with scripts/build.mjs into a temp dir (the same layout as dist/tk: tk.js,
// list.js, main.js, chunks/) so that tests of the executable never race other test files over dist/.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/git-repo.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function buildTk(): Promise<string> {
  const out = tempDir('tk-cli-build-');
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--out', out, '--only', 'tk'], { stdio: ['ignore', 'inherit', 'inherit'] });
  return join(out, 'tk', 'tk.js');
}
