// `tart list --format json`, parsed, for the read-only fast path (`tk list`, `tk status`):
// one process, no other dependency. Field names are Tart's (capitalised); key order is not relied on.
import { execFile } from 'node:child_process';
import { TartError } from '../core/errors.js';
import type { TartState, TartVm } from '../core/model.js';

const STATES: readonly TartState[] = ['running', 'suspended', 'stopped'];

export function parseTartList(stdout: string): TartVm[] {
  const rows = JSON.parse(stdout.trim() === '' ? '[]' : stdout) as unknown;
  if (!Array.isArray(rows)) throw new Error('tart list --format json did not print an array');
  const out: TartVm[] = [];
  for (const r of rows as Array<Record<string, unknown>>) {
    if (!r || typeof r !== 'object' || typeof r['Name'] !== 'string') continue;
    const state = String(r['State'] ?? '').toLowerCase() as TartState;
    out.push({
      name: r['Name'],
      source: r['Source'] === 'OCI' ? 'OCI' : 'local',
      state: STATES.includes(state) ? state : r['Running'] === true ? 'running' : 'stopped',
      running: r['Running'] === true,
      diskGb: Number(r['Disk'] ?? 0) || 0,
      sizeGb: Number(r['Size'] ?? 0) || 0,
      ...(typeof r['Accessed'] === 'string' ? { accessed: r['Accessed'] } : {}),
    });
  }
  return out;
}

export function tartList(tartPath: string, opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<TartVm[]> {
  const argv = ['list', '--format', 'json'];
  return new Promise((resolve, reject) => {
    execFile(tartPath, argv, { env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024, signal: opts.signal }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(
            new TartError(`Cannot run tart (${tartPath}): not found.`, {
              argv,
              exitCode: null,
              stderr: '',
              hint: 'Install Tart (brew install cirruslabs/cli/tart), or point tk at a tart binary with TK_TART or the tart_path config key.',
            }),
          );
          return;
        }
        reject(new TartError(`tart list failed: ${String(stderr).trim() || err.message}`, { argv, exitCode: typeof err.code === 'number' ? err.code : null, stderr: String(stderr) }));
        return;
      }
      try {
        resolve(parseTartList(String(stdout)));
      } catch (e) {
        reject(new TartError(`Could not parse the output of tart list: ${(e as Error).message}`, { argv, exitCode: 0, stderr: String(stderr) }));
      }
    });
  });
}
