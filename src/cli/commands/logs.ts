import { closeSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { TkError } from '../../core/errors.js';
import { parsePhaseMark, renderLogLine } from '../../core/log-format.js';
import { logPath } from '../../adapters/paths.js';
import { defineCommand, type CommandContext } from '../command.js';
import { resolveName } from '../local.js';

function readFrom(path: string, offset: number): { text: string; size: number } {
  const size = statSync(path).size;
  if (size <= offset) return { text: '', size };
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    return { text: buf.subarray(0, n).toString('utf8'), size: offset + n };
  } finally {
    closeSync(fd);
  }
}

async function follow(ctx: CommandContext, path: string, start: number, render: (l: string) => string): Promise<number> {
  let offset = start;
  let partial = '';
  const pump = () => {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return; // removed (destroy) or not yet re-created
    }
    if (size < offset) {
      offset = 0; // truncated (a new `tart run`)
      partial = '';
    }
    const r = readFrom(path, offset);
    offset = r.size;
    const lines = (partial + r.text).split('\n');
    partial = lines.pop() ?? '';
    if (lines.length) ctx.out.text(lines.map(render).join('\n') + '\n');
  };
  return new Promise<number>((resolve) => {
    let watcher: FSWatcher | null = null;
    try {
      watcher = watch(dirname(path), { persistent: true }, () => pump());
      // The directory may go away (tk destroy): the safety-net timer keeps polling.
      watcher.on('error', () => {
        watcher?.close();
        watcher = null;
      });
    } catch {
      watcher = null;
    }
    // Safety net for file systems without change events.
    const timer = setInterval(pump, 1000);
    const stop = () => {
      clearInterval(timer);
      watcher?.close();
      if (partial) ctx.out.text(render(partial) + '\n');
      resolve(0);
    };
    if (ctx.signal.aborted) stop();
    else ctx.signal.addEventListener('abort', stop, { once: true });
  });
}

export default defineCommand({
  name: 'logs',
  summary: "Show a VM's log (tart run output and provisioning, with phase markers)",
  usage: 'logs [NAME] [-f] [--raw]',
  description: 'Phase markers are shown as "── hh:mm:ss phase result (ms)" lines; --raw prints the file as written.\n-f keeps following the log until Ctrl-C (exit code 0).',
  positionals: [{ name: 'NAME', description: "VM name (default: the current branch's VM)" }],
  flags: {
    follow: { type: 'boolean', short: 'f', description: 'Keep printing new lines as they are written' },
    raw: { type: 'boolean', description: 'Print the file verbatim (phase markers and control characters included)' },
  },
  examples: ['tk logs', 'tk logs -f tachikoma-myapp-main', 'tk logs --json | jq ".data.phases"'],
  async run(ctx, args) {
    if (ctx.json && args.flags['follow']) {
      throw new TkError('usage', '--json and -f cannot be combined (--json prints one document).', { hint: 'Use tk logs --json for a snapshot, or tk logs -f for a live view.' });
    }
    const cfg = await ctx.config();
    const name = await resolveName(ctx, args.positionals[0]);
    const path = logPath(cfg.paths.home, name);
    let text: string;
    let size: number;
    try {
      ({ text, size } = readFrom(path, 0));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      throw new TkError('vm', `No log for ${name} yet (${path}).`, { hint: 'Logs are written from the first `tk spawn` of that VM on; see `tk list` for VM names.' });
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    if (ctx.json) {
      const phases = lines.map(parsePhaseMark).filter((p) => p !== null);
      ctx.out.success('logs', { name, path, lines, phases });
      return 0;
    }
    const render = args.flags['raw'] ? (l: string) => l : renderLogLine;
    // Following: an unfinished last line is printed once complete.
    const partialLast = args.flags['follow'] && text !== '' && !text.endsWith('\n') ? lines.pop() : undefined;
    if (lines.length) ctx.out.text(lines.map(render).join('\n') + '\n');
    if (!args.flags['follow']) return 0;
    // Follow from the end of what was printed (a last partial line is re-read whole).
    const printedBytes = size - Buffer.byteLength(partialLast ?? '');
    return follow(ctx, path, printedBytes, render);
  },
});
