// stdout belongs to the JSON-RPC stream while `tk mcp` runs. The protocol gets its own writer bound to
// the real stdout; every other write to process.stdout (a stray console.log in a dependency, a
// progress bar that thinks it has a terminal) is diverted to stderr, so the client never sees it.
import { Writable } from 'node:stream';

export interface StdoutGuard {
  /** The only way to the real stdout: hand it to the transport. */
  readonly protocol: Writable;
  /** Bytes diverted to stderr so far (for tests and diagnostics). */
  readonly diverted: () => number;
  /** Puts the original `write` back. Idempotent. */
  restore(): void;
}

type WriteFn = NodeJS.WriteStream['write'];

export function guardStdout(stdout: NodeJS.WriteStream, stderr: NodeJS.WritableStream): StdoutGuard {
  const hadOwn = Object.prototype.hasOwnProperty.call(stdout, 'write');
  const original: WriteFn = stdout.write;
  const realWrite = original.bind(stdout) as (chunk: Uint8Array | string, cb: (err?: Error | null) => void) => boolean;
  let diverted = 0;
  let restored = false;

  const protocol = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      realWrite(chunk, (err) => callback(err ?? null));
    },
  });

  const divert = function (this: unknown, chunk: Uint8Array | string, ...rest: unknown[]): boolean {
    diverted += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    const [a, b] = rest;
    // write(chunk, cb) | write(chunk, encoding, cb)
    if (typeof a === 'function') return stderr.write(chunk, a as (err?: Error | null) => void);
    if (typeof a === 'string') {
      const cb = b as ((err?: Error | null) => void) | undefined;
      return typeof chunk === 'string' ? stderr.write(chunk, a as BufferEncoding, cb) : stderr.write(chunk, cb);
    }
    return stderr.write(chunk);
  };
  stdout.write = divert as WriteFn;

  return {
    protocol,
    diverted: () => diverted,
    restore() {
      if (restored) return;
      restored = true;
      if (hadOwn) stdout.write = original;
      else delete (stdout as { write?: WriteFn }).write;
    },
  };
}
