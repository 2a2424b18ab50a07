// Output without process.stdout/stderr: creating those streams loads Node's stream/tty/net machinery,
// a measurable part of a short command's start-up. Writes are synchronous, like Tart's line-buffered
// stdout; EAGAIN (a non-blocking pipe that is full) is retried.
import { writeSync } from 'node:fs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function writeAll(fd: number, text: string): void {
  if (!text) return;
  let buf = Buffer.from(text, 'utf8');
  while (buf.length > 0) {
    try {
      const n = writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') Atomics.wait(sleeper, 0, 0, 2);
      else if (code === 'EPIPE') return;
      else throw e;
    }
  }
}

export const writeOut = (text: string): void => writeAll(1, text);
export const writeErr = (text: string): void => writeAll(2, text);
