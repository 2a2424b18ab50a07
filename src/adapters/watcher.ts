// chokidar-backed watchers for the dashboard: one per worktree (debounced "something changed")
// and one for agent status directories. Dependency folders and .git internals are ignored so a
// `npm install` in the guest or git's own bookkeeping never floods the board.
import { watch, type FSWatcher } from 'chokidar';
import { existsSync } from 'node:fs';
import { sep } from 'node:path';

/** Directory names never watched inside a worktree. */
export const IGNORED_DIRS = new Set([
  '.git',
  'node_modules',
  'bower_components',
  '.venv',
  'venv',
  '__pycache__',
  '.tox',
  '.mypy_cache',
  '.pytest_cache',
  'target',
  '.gradle',
  'Pods',
  '.next',
  '.nuxt',
  '.turbo',
  '.cache',
  'vendor',
  '.terraform',
  'zig-cache',
  '.zig-cache',
  'dist-newstyle',
  '.stack-work',
]);

export function isIgnoredPath(root: string, path: string): boolean {
  if (path === root) return false;
  const rel = path.startsWith(root + sep) ? path.slice(root.length + 1) : path;
  return rel.split(sep).some((seg) => IGNORED_DIRS.has(seg));
}

export interface Closable {
  close(): Promise<void>;
}

/**
 * Calls `onChange` once per burst of file events under `root` (trailing debounce of
 * `debounceMs`, but at most `maxWaitMs` after the first event of a burst).
 */
export function watchWorktree(root: string, onChange: () => void, opts: { debounceMs: number; maxWaitMs?: number }): Closable {
  const maxWait = opts.maxWaitMs ?? Math.max(opts.debounceMs * 3, 150);
  let timer: NodeJS.Timeout | null = null;
  let first = 0;
  const fire = () => {
    timer = null;
    first = 0;
    onChange();
  };
  const bump = () => {
    const now = Date.now();
    if (!first) first = now;
    if (timer) clearTimeout(timer);
    const wait = Math.min(opts.debounceMs, Math.max(0, first + maxWait - now));
    timer = setTimeout(fire, wait);
  };
  const w: FSWatcher = watch(root, {
    ignoreInitial: true,
    persistent: true,
    ignored: (p: string) => isIgnoredPath(root, p),
    // The guest writes this tree: a symlink it plants (to /, to $HOME) must not make the host
    // walk and watch what it points to (a link to /usr alone cost 3 s and ~400 MB here).
    followSymlinks: false,
    // No depth limit: with none, chokidar uses one native recursive watch per worktree where the
    // OS has one (FSEvents on macOS) instead of a watch per directory.
  });
  w.on('all', bump);
  // Files saved while the initial scan ran are part of the scan, not events: refresh once ready.
  w.once('ready', bump);
  // A vanished worktree or a permission error must not crash the board.
  w.on('error', () => {});
  return {
    async close() {
      if (timer) clearTimeout(timer);
      await w.close();
    },
  };
}

/**
 * Watches a set of directories (not recursively); `onFile(dir, file)` for each add/change/unlink,
 * and `onFile(dir, '')` when a directory that did not exist yet appears (re-checked on each set()).
 */
export interface DirSetWatcher extends Closable {
  set(dirs: readonly string[]): void;
}

export function watchDirs(onFile: (dir: string, file: string) => void): DirSetWatcher {
  const watched = new Set<string>();
  // chokidar does not notice a directory created after it was asked to watch it: directories
  // that do not exist yet wait here and are re-checked on every set() (each poll).
  const pending = new Set<string>();
  let w: FSWatcher | null = null;
  const ensure = (): FSWatcher => {
    if (!w) {
      w = watch([], { ignoreInitial: true, persistent: true, depth: 0, followSymlinks: false });
      w.on('all', (_ev: string, p: string) => {
        const i = p.lastIndexOf(sep);
        onFile(p.slice(0, i), p.slice(i + 1));
      });
      w.on('error', () => {});
    }
    return w;
  };
  return {
    set(dirs) {
      const next = new Set(dirs);
      for (const d of [...watched]) {
        if (!next.has(d)) {
          w?.unwatch(d);
          watched.delete(d);
        }
      }
      for (const d of [...pending]) if (!next.has(d)) pending.delete(d);
      const add: string[] = [];
      for (const d of next) {
        if (watched.has(d)) continue;
        if (existsSync(d)) {
          add.push(d);
          watched.add(d);
          // It may already hold files written before we watched it: file '' = "look again".
          if (pending.delete(d)) onFile(d, '');
        } else {
          pending.add(d);
        }
      }
      if (add.length) ensure().add(add);
    },
    async close() {
      if (w) await w.close();
      w = null;
    },
  };
}
