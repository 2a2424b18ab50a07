// Reading host files that a repository config names (provision_scripts from `.tachikoma.toml`).
// The guest can write the worktree, so a "script" there may be a symlink (or sit under a symlinked
// directory) pointing at a host secret, e.g. scripts/setup.sh -> ~/.aws/credentials; provisioning
// would then copy that secret into the VM. It may also be a FIFO (reading blocks forever) or a
// device. A file is read only when its real path stays inside the checkout that contains it, it is
// a regular file of sane size, and it is not swapped while we read it.
import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { TkError } from '../core/errors.js';
import { findRepoRoots } from './config-loader.js';

export const MAX_SCRIPT_BYTES = 1024 * 1024;

/**
 * Content of `path`. With `root`, refuses anything whose real path leaves `root`. Without it,
 * only checks it is a small regular file.
 */
export function readScriptInside(path: string, root: string | null, maxBytes = MAX_SCRIPT_BYTES): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new TkError('config', `Provisioning script ${path} does not exist.`, { hint: 'Fix provision_scripts in your config, or create the file.' });
  }
  if (root !== null) {
    const r = realpathSync(root);
    if (real !== r && !real.startsWith(r.endsWith(sep) ? r : r + sep)) {
      throw new TkError('config', `Provisioning script ${path} resolves to ${real}, outside ${root}; tk does not read it.`, {
        hint: 'A script inside a repository may not lead out of it. If the path is a symlink (the VM can create them in the worktree), replace it with a regular file.',
      });
    }
  }
  const fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new TkError('config', `Provisioning script ${path} is not a regular file.`, { hint: 'Point provision_scripts at a script file.' });
    if (st.size > maxBytes) throw new TkError('config', `Provisioning script ${path} is larger than ${maxBytes} bytes.`, { hint: 'Keep provisioning scripts small; download big assets from inside the script.' });
    const text = readFileSync(fd, 'utf8');
    let again: string | null = null;
    let now = null;
    try {
      again = realpathSync(path);
      now = statSync(again);
    } catch {
      /* removed meanwhile */
    }
    if (again !== real || !now || now.ino !== st.ino || now.dev !== st.dev) {
      throw new TkError('config', `Provisioning script ${path} changed while tk was reading it.`, { hint: 'Run the command again; if it persists, something in the VM is rewriting the file.' });
    }
    return text;
  } finally {
    closeSync(fd);
  }
}

/** The checkout (worktree root) lexically containing `path`, if any: the containment root for it. */
export function checkoutOf(path: string): string | null {
  return findRepoRoots(dirname(path))?.worktreeRoot ?? null;
}
