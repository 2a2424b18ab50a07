// Reading host files that a repository config names (provision_scripts from `.tachikoma.toml`).
// The guest can write the worktree, so a "script" there may be a symlink (or sit under a symlinked
// directory) pointing at a host secret, e.g. scripts/setup.sh -> ~/.aws/credentials; provisioning
// would then copy that secret into the VM. This reads a file only when its real path stays inside
// the repository root, it is a regular file, and it is not swapped while we read it.
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { TkError } from '../core/errors.js';

export const MAX_SCRIPT_BYTES = 1024 * 1024;

/**
 * Content of `path`. With `root` (repository-set paths), refuses anything whose real path leaves
 * `root`. Without it (global, user-owned config), only checks it is a regular file.
 */
export async function readScriptInside(path: string, root: string | null, maxBytes = MAX_SCRIPT_BYTES): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new TkError('config', `Provisioning script ${path} does not exist.`, { hint: 'Fix provision_scripts in your config, or create the file.' });
  }
  const inside = async (): Promise<boolean> => {
    if (root === null) return true;
    const r = await realpath(root);
    return real === r || real.startsWith(r.endsWith(sep) ? r : r + sep);
  };
  if (!(await inside())) {
    throw new TkError('config', `Provisioning script ${path} resolves to ${real}, outside the repository ${root}; tk does not read it.`, {
      hint: 'A repository may only name scripts inside itself. If the path is a symlink (the VM can create them in the worktree), replace it with a regular file.',
    });
  }
  const fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new TkError('config', `Provisioning script ${path} is not a regular file.`, { hint: 'Point provision_scripts at a script file.' });
    if (st.size > maxBytes) throw new TkError('config', `Provisioning script ${path} is larger than ${maxBytes} bytes.`, { hint: 'Keep provisioning scripts small; download big assets from inside the script.' });
    const text = await fh.readFile('utf8');
    // Swapped while we read? The path must still resolve to the same inode.
    const again = await realpath(path).catch(() => null);
    const now = again === null ? null : await stat(again).catch(() => null);
    if (again !== real || !now || now.ino !== st.ino || now.dev !== st.dev) {
      throw new TkError('config', `Provisioning script ${path} changed while tk was reading it.`, { hint: 'Run the command again; if it persists, something in the VM is rewriting the file.' });
    }
    return text;
  } finally {
    await fh.close();
  }
}
