// Progress on stderr: a spinner with phase and elapsed time on a TTY, plain lines otherwise,
// nothing with -q. Never writes to stdout (that belongs to the result / the JSON document).
import type { ProgressEvent } from '../core/model.js';
import type { Progress } from './command.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export function createProgress(stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, opts: { quiet: boolean; now?: () => number }): Progress {
  const now = opts.now ?? Date.now;
  const start = now();
  if (opts.quiet) return { onProgress: () => undefined, step: () => undefined, done: () => undefined };
  if (!stderr.isTTY) {
    let last = '';
    const line = (text: string) => {
      if (text === last) return;
      last = text;
      stderr.write(text + '\n');
    };
    return {
      onProgress: (e: ProgressEvent) => line(`[${e.vm}] ${e.phase}: ${e.message} (${secs(e.elapsedMs)})`),
      step: (m: string) => line(m),
      done: () => undefined,
    };
  }
  let label = '';
  let phaseStart = start;
  let frame = 0;
  let stopped = false;
  const draw = () => {
    const width = Math.max(20, (stderr.columns ?? 80) - 1);
    const text = `${FRAMES[frame % FRAMES.length]} ${label} (${secs(now() - phaseStart)}, total ${secs(now() - start)})`;
    stderr.write(`\r\x1b[K${[...text].slice(0, width).join('')}`);
    frame++;
  };
  const timer = setInterval(draw, 80);
  timer.unref();
  const set = (l: string) => {
    if (stopped) return;
    if (l !== label) phaseStart = now();
    label = l;
    draw();
  };
  return {
    onProgress: (e) => set(`${e.phase}: ${e.message}`),
    step: (m) => set(m),
    done: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (label) stderr.write('\r\x1b[K');
    },
  };
}
