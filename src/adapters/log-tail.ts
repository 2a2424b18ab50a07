// Follows the end of a log file without ever reading all of it: the first read takes the last
// `maxBytes` (a 100 MB log costs one 256 KiB read), later reads take only the appended bytes.
// Truncation or replacement of the file restarts from its tail. fs.watch wakes it up; a slow
// stat poll covers filesystems where fs.watch is silent.
import { watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface LogTailHandlers {
  /** Whole visible content replaced (first read, truncation, rotation). `truncated` = earlier bytes not read. */
  onReset(lines: string[], truncated: boolean): void;
  onAppend(lines: string[]): void;
}

export interface LogTail {
  close(): void;
}

export const DEFAULT_TAIL_BYTES = 256 * 1024;

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const len = Math.max(0, end - start);
    const buf = Buffer.alloc(len);
    let off = 0;
    while (off < len) {
      const { bytesRead } = await fh.read(buf, off, len - off, start + off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off);
  } finally {
    await fh.close();
  }
}

export function tailLog(path: string, h: LogTailHandlers, opts: { maxBytes?: number; pollMs?: number } = {}): LogTail {
  const maxBytes = opts.maxBytes ?? DEFAULT_TAIL_BYTES;
  let offset = 0;
  let ino = -1;
  let partial = '';
  let closed = false;
  let busy = false;
  let again = false;
  let watcher: FSWatcher | null = null;
  let dirWatcher: FSWatcher | null = null;

  const split = (text: string): string[] => {
    const all = (partial + text).split('\n');
    partial = all.pop() ?? '';
    return all.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  };

  const reset = async (size: number) => {
    const start = Math.max(0, size - maxBytes);
    const buf = await readRange(path, start, size);
    let text = buf.toString('utf8');
    const truncated = start > 0;
    if (truncated) {
      const nl = text.indexOf('\n');
      text = nl >= 0 ? text.slice(nl + 1) : '';
    }
    partial = '';
    offset = start + buf.length;
    const lines = split(text);
    if (!closed) h.onReset(lines, truncated);
  };

  const check = async () => {
    if (closed) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      let st;
      try {
        st = await stat(path);
      } catch {
        if (ino !== -2) {
          ino = -2;
          offset = 0;
          partial = '';
          if (!closed) h.onReset([], false);
        }
        return;
      }
      if (st.ino !== ino || st.size < offset) {
        // First sight, replaced (rotation) or truncated: start again from its tail.
        if (st.ino !== ino) attach();
        ino = st.ino;
        await reset(st.size);
        return;
      }
      if (st.size === offset) return;
      if (st.size - offset > maxBytes) {
        await reset(st.size);
        return;
      }
      const buf = await readRange(path, offset, st.size);
      offset += buf.length;
      const lines = split(buf.toString('utf8'));
      if (lines.length && !closed) h.onAppend(lines);
    } catch {
      // Unreadable for a moment (rotation, permissions): the next event or poll retries.
    } finally {
      busy = false;
      if (again && !closed) {
        again = false;
        void check();
      }
    }
  };

  const attach = () => {
    if (watcher) watcher.close();
    watcher = null;
    try {
      watcher = watch(path, { persistent: false }, () => void check());
      watcher.on('error', () => {});
    } catch {
      watcher = null;
    }
  };

  // The directory watch catches creation and replacement of the file.
  try {
    const name = basename(path);
    dirWatcher = watch(dirname(path), { persistent: false }, (_ev, f) => {
      if (f === null || f.toString() === name) void check();
    });
    dirWatcher.on('error', () => {});
  } catch {
    dirWatcher = null;
  }
  const poll = setInterval(() => void check(), opts.pollMs ?? 2000);
  poll.unref();
  void check();

  return {
    close() {
      closed = true;
      clearInterval(poll);
      watcher?.close();
      dirWatcher?.close();
    },
  };
}
