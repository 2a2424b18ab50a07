// Synchronous stdin helpers (login prompts, export's overwrite question).
import { readFileSync, readSync } from 'node:fs';

/** One line from stdin without its newline; null on EOF before any byte (like readLine()). */
export function readLine(): string | null {
  const bytes: number[] = [];
  const buf = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, 1, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      if ((e as NodeJS.ErrnoException).code === 'EOF') n = 0;
      else throw e;
    }
    if (n === 0) return bytes.length ? Buffer.from(bytes).toString('utf8') : null;
    if (buf[0] === 0x0a) return Buffer.from(bytes).toString('utf8');
    bytes.push(buf[0] as number);
  }
}

export function readAllStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}
