import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_TAIL_BYTES, tailLines } from '../../src/mcp/log-tail.js';
import { guardStdout } from '../../src/mcp/stdout-guard.js';

describe('guardStdout', () => {
  function fakeStdout() {
    const written: string[] = [];
    const s = new PassThrough();
    s.on('data', (c: Buffer) => written.push(c.toString()));
    return { s: s as unknown as NodeJS.WriteStream, written };
  }

  it('diverts every form of write to stderr, keeps the protocol writer on the real stream, and restores', async () => {
    const out = fakeStdout();
    const err = fakeStdout();
    const original = out.s.write;
    const g = guardStdout(out.s, err.s);
    out.s.write('a\n');
    out.s.write(Buffer.from('b\n'), () => {});
    out.s.write('c\n', 'utf8', () => {});
    await new Promise<void>((r) => g.protocol.write('{"jsonrpc":"2.0"}\n', () => r()));
    expect(out.written.join('')).toBe('{"jsonrpc":"2.0"}\n');
    expect(err.written.join('')).toBe('a\nb\nc\n');
    expect(g.diverted()).toBe(6);
    g.restore();
    g.restore();
    expect(out.s.write).toBe(original);
    out.s.write('d\n');
    expect(out.written.join('')).toBe('{"jsonrpc":"2.0"}\nd\n');
  });
});

describe('tailLines', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (content: string | Buffer) => {
    dir = mkdtempSync(join(tmpdir(), 'tk-tail-'));
    const p = join(dir, 'x.log');
    writeFileSync(p, content);
    return p;
  };

  it('returns the last N lines, with or without a final newline', async () => {
    expect(await tailLines(file('1\n2\n3\n'), 2)).toEqual({ text: '2\n3', truncated: true });
    rmSync(dir, { recursive: true });
    expect(await tailLines(file('1\n2\n3'), 5)).toEqual({ text: '1\n2\n3', truncated: false });
    rmSync(dir, { recursive: true });
    expect(await tailLines(file(''), 5)).toEqual({ text: '', truncated: false });
  });

  it('reads only the end of a big file, across block boundaries', async () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    const r = await tailLines(file(`${lines.join('\n')}\n`), 4000);
    expect(r.text.split('\n')).toEqual(lines.slice(-4000));
    expect(r.truncated).toBe(true);
  });

  it('caps the result at MAX_TAIL_BYTES', async () => {
    const long = 'y'.repeat(MAX_TAIL_BYTES + 10);
    const r = await tailLines(file(`first\n${long}\n`), 2);
    expect(r.truncated).toBe(true);
    expect(r.text.length).toBeLessThanOrEqual(MAX_TAIL_BYTES);
    expect(r.text.length).toBeGreaterThan(MAX_TAIL_BYTES - 2);
    expect(r.text).toMatch(/^y+$/);
  });
});
