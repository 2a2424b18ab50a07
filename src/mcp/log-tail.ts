// The last N lines of a (possibly large, append-only) log file, read backwards in blocks so a long
// provisioning log is never loaded whole.
import { open } from 'node:fs/promises';

const BLOCK = 64 * 1024;
/** Never return more than this many bytes, however many lines were asked for. */
export const MAX_TAIL_BYTES = 1024 * 1024;

export async function tailLines(path: string, lines: number): Promise<{ text: string; truncated: boolean }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    let pos = size;
    const chunks: Buffer[] = [];
    let bytes = 0;
    let newlines = 0;
    // A trailing newline ends the last line; it does not start an empty one.
    let skipFinalNewline = false;
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      skipFinalNewline = last[0] === 0x0a;
    }
    const wanted = lines + (skipFinalNewline ? 1 : 0);
    while (pos > 0 && newlines < wanted && bytes < MAX_TAIL_BYTES) {
      const len = Math.min(BLOCK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      for (const b of buf) if (b === 0x0a) newlines++;
      chunks.unshift(buf);
      bytes += len;
    }
    let text = Buffer.concat(chunks).toString('utf8');
    if (skipFinalNewline) text = text.slice(0, -1);
    const all = text.split('\n');
    const kept = all.slice(Math.max(0, all.length - lines));
    let out = kept.join('\n');
    let truncated = pos > 0 || all.length > lines;
    if (Buffer.byteLength(out) > MAX_TAIL_BYTES) {
      out = out.slice(out.length - MAX_TAIL_BYTES);
      truncated = true;
    }
    return { text: out, truncated };
  } finally {
    await fh.close();
  }
}
