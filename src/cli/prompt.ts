// The y/N question commands ask on the terminal before acting (enter, destroy, prune).
import type { CommandContext } from './command.js';

/** Writes `question [y/N] ` to stderr and reads one line from stdin: true for y or yes. */
export async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  ctx.io.stderr.write(`${question} [y/N] `);
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr, terminal: false });
  try {
    const a = await rl.question('', { signal: ctx.signal });
    return /^y(es)?$/i.test(a.trim());
  } finally {
    rl.close();
  }
}
