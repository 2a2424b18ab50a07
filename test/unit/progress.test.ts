import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';

function sink(tty: boolean) {
  const s = Object.assign(new PassThrough(), { isTTY: tty, columns: 80 });
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString()));
  return { s, get: () => text };
}

describe('progress', () => {
  it('plain lines without a TTY (phase, message, elapsed; no repeats)', async () => {
    const o = sink(false);
    const p = createProgress(o.s, { quiet: false });
    p.onProgress({ vm: 'vm1', phase: 'boot', message: 'tart run', elapsedMs: 1200 });
    p.onProgress({ vm: 'vm1', phase: 'boot', message: 'tart run', elapsedMs: 1200 });
    p.step('Preparing worktree...');
    p.done();
    await new Promise((r) => setImmediate(r));
    expect(o.get()).toBe('[vm1] boot: tart run (1.2s)\nPreparing worktree...\n');
  });

  it('a spinner on a TTY with phase and elapsed time, cleared when done', async () => {
    const o = sink(true);
    let t = 1000;
    const p = createProgress(o.s, { quiet: false, now: () => t });
    t = 3500;
    p.onProgress({ vm: 'vm1', phase: 'ssh', message: 'waiting for sshd', elapsedMs: 2500 });
    t = 4000;
    p.done();
    await new Promise((r) => setImmediate(r));
    expect(o.get()).toContain('ssh: waiting for sshd (0.0s, total 2.5s)');
    expect(o.get().endsWith('\r\u001b[K')).toBe(true);
  });

  it('nothing with -q', async () => {
    const o = sink(true);
    const p = createProgress(o.s, { quiet: true });
    p.step('x');
    p.done();
    await new Promise((r) => setImmediate(r));
    expect(o.get()).toBe('');
  });
});
