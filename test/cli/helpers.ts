// In-process CLI runs: main() with string-capturing streams.
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

export const RECORDED_TART = fileURLToPath(new URL('../fixtures/bin/tart-recorded', import.meta.url));

export interface TkRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function tk(argv: string[], opts: { env: NodeJS.ProcessEnv; cwd: string; tty?: boolean; signal?: AbortSignal }): Promise<TkRun> {
  const stdout = Object.assign(new PassThrough(), { isTTY: opts.tty ?? false, columns: 100 });
  const stderr = Object.assign(new PassThrough(), { isTTY: false });
  const stdin = Object.assign(new PassThrough(), { isTTY: opts.tty ?? false });
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main({ argv, io: { stdin, stdout, stderr }, env: opts.env, cwd: opts.cwd, ...(opts.signal ? { signal: opts.signal } : {}) });
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out, stderr: err };
}
