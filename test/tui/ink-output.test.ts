// src/tui/ink-output.ts replaces Ink's frame buffer in the production build. It must produce
// exactly what Ink's own Output produces: random frames (styled text, wide and zero-width
// characters, newlines, nested and empty clips, transformers, writes outside the frame) go through
// both, frame after frame, so the cross-frame caches and the reuse of unchanged rows are exercised.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import FastOutput, { CELL_CACHE_BYTES, cacheStats, cachedCells, cachedStringFunction, widestLine, type OutputTransformer } from '../../src/tui/ink-output.js';

interface Clip {
  x1: number | undefined;
  x2: number | undefined;
  y1: number | undefined;
  y2: number | undefined;
}
interface OutputLike {
  write(x: number, y: number, text: string, o: { transformers: OutputTransformer[] }): void;
  clip(c: Clip): void;
  unclip(): void;
  get(): { output: string; height: number };
}
type OutputCtor = new (o: { width: number; height: number }) => OutputLike;

// Ink does not export its Output; load the file itself (a path import is not subject to "exports").
const inkOutputUrl = pathToFileURL(join(import.meta.dirname, '../../node_modules/ink/build/output.js')).href;
const InkOutput = ((await import(inkOutputUrl)) as { default: OutputCtor }).default;
const inkWidestLine = ((await import(pathToFileURL(join(import.meta.dirname, '../../node_modules/widest-line/index.js')).href)) as { default: (s: string) => number }).default;

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = ['abc', 'hello world', ' ', '  ', 'x', '漢字', '😀', 'e\u0301', '\u200b', '\t', '│', '…', '\n', '\x1b[31m', '\x1b[39m', '\x1b[1m', '\x1b[22m', '\x1b[7m', '\x1b[27m', '\x1b[38;5;208m', '\x1b[48;2;10;20;30m', '\x1b[0m', '\x1b[4m'];
const TRANSFORMERS: OutputTransformer[] = [
  (s) => `\x1b[2m${s}\x1b[22m`,
  (s, i) => (i % 2 ? s.toUpperCase() : s),
  (s) => s.replace(/a/g, '漢'),
  (s, i) => `${i}${s}`,
];

type Op = { kind: 'write'; x: number; y: number; text: string; t: number[] } | { kind: 'clip'; clip: Clip } | { kind: 'unclip' };

function randomText(r: () => number): string {
  const n = 1 + Math.floor(r() * 8);
  let s = '';
  for (let i = 0; i < n; i++) s += FRAGMENTS[Math.floor(r() * FRAGMENTS.length)];
  return s;
}

function randomOp(r: () => number, w: number, h: number): Op {
  const k = r();
  const maybe = (lo: number, hi: number) => (r() < 0.2 ? undefined : Math.floor(lo + r() * (hi - lo)));
  if (k < 0.15) return { kind: 'clip', clip: { x1: maybe(-3, w), x2: maybe(0, w + 3), y1: maybe(-2, h), y2: maybe(0, h + 2) } };
  if (k < 0.25) return { kind: 'unclip' };
  const t: number[] = [];
  for (let i = 0; i < TRANSFORMERS.length; i++) if (r() < 0.25) t.push(i);
  return { kind: 'write', x: Math.floor(-6 + r() * (w + 12)), y: Math.floor(-3 + r() * (h + 6)), text: r() < 0.05 ? '' : randomText(r), t };
}

function run(Ctor: OutputCtor, w: number, h: number, ops: readonly Op[]) {
  const out = new Ctor({ width: w, height: h });
  for (const op of ops) {
    if (op.kind === 'clip') out.clip(op.clip);
    else if (op.kind === 'unclip') out.unclip();
    else out.write(op.x, op.y, op.text, { transformers: op.t.map((i) => TRANSFORMERS[i] as OutputTransformer) });
  }
  return out.get();
}

describe('ink-output (fast Output) matches Ink', () => {
  it('gives the same frames as Ink for random frame sequences', () => {
    let frames = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      let w = 4 + Math.floor(r() * 30);
      let h = 2 + Math.floor(r() * 10);
      let ops: Op[] = Array.from({ length: 5 + Math.floor(r() * 25) }, () => randomOp(r, w, h));
      for (let f = 0; f < 15; f++) {
        const want = run(InkOutput, w, h, ops);
        const got = run(FastOutput as unknown as OutputCtor, w, h, ops);
        expect(got, `seed ${seed} frame ${f}`).toEqual(want);
        frames++;
        // Next frame: mostly the same operations (rows repeat), a few changed, sometimes a resize.
        ops = ops.map((op) => (r() < 0.1 ? randomOp(r, w, h) : op));
        if (r() < 0.3) ops.push(randomOp(r, w, h));
        if (r() < 0.1) {
          w = 4 + Math.floor(r() * 30);
          h = 2 + Math.floor(r() * 10);
        }
      }
    }
    expect(frames).toBe(3000);
  });

  it('reuses a row only when the same lines are written to it: a changed style is redrawn', () => {
    const frame = (style: string) => run(FastOutput as unknown as OutputCtor, 10, 2, [{ kind: 'write', x: 0, y: 0, text: `${style}ab\x1b[0m`, t: [] }, { kind: 'write', x: 0, y: 1, text: 'same', t: [] }]);
    expect(frame('\x1b[31m').output).toBe('\x1b[31mab\x1b[39m\nsame');
    expect(frame('\x1b[32m').output).toBe('\x1b[32mab\x1b[39m\nsame');
    expect(frame('\x1b[32m').output).toBe('\x1b[32mab\x1b[39m\nsame');
    // The same line at another column is another row.
    const at = (x: number) => run(FastOutput as unknown as OutputCtor, 10, 1, [{ kind: 'write', x, y: 0, text: 'ab', t: [] }]).output;
    expect(at(0)).toBe('ab');
    expect(at(3)).toBe('   ab');
    // And the same writes in a wider frame can differ (text past the old width).
    const wide = (w: number) => run(FastOutput as unknown as OutputCtor, w, 1, [{ kind: 'write', x: 0, y: 0, text: 'abcdef', t: [] }]).output;
    expect(wide(8)).toBe(run(InkOutput, 8, 1, [{ kind: 'write', x: 0, y: 0, text: 'abcdef', t: [] }]).output);
    expect(wide(3)).toBe(run(InkOutput, 3, 1, [{ kind: 'write', x: 0, y: 0, text: 'abcdef', t: [] }]).output);
  });

  it('keeps zero-width characters at the edges of a clipped line exactly as Ink does', () => {
    for (const text of ['\tabc', 'abc\t', '\u200b\tx\t', '\x1b[31m\tx\x1b[39m']) {
      const ops: Op[] = [{ kind: 'clip', clip: { x1: 0, x2: 8, y1: undefined, y2: undefined } }, { kind: 'write', x: 1, y: 0, text, t: [] }, { kind: 'unclip' }];
      expect(run(FastOutput as unknown as OutputCtor, 10, 1, ops)).toEqual(run(InkOutput, 10, 1, ops));
    }
  });

  it('keeps its caches bounded when every frame shows new text (spinners, clocks, logs)', () => {
    for (let f = 0; f < 2000; f++) {
      const ops: Op[] = Array.from({ length: 10 }, (_, y) => ({ kind: 'write' as const, x: 0, y, text: `\x1b[32m${`frame ${f} row ${y} `.padEnd(160, '.')}\x1b[39m`, t: [] }));
      run(FastOutput as unknown as OutputCtor, 160, 10, ops);
    }
    // Two generations at ~80 bytes a cell (plus the current frame's rows).
    expect(cachedCells()).toBeLessThanOrEqual((2 * CELL_CACHE_BYTES) / 80 + 2 * 1600);
    expect(cachedCells()).toBeGreaterThan(1600);
  });

  it('caches a pure string function per name, without mixing two functions', () => {
    let calls = 0;
    const up = cachedStringFunction('test-upper', (x) => (calls++, x.toUpperCase()));
    const rev = cachedStringFunction('test-reverse', (x) => [...x].reverse().join(''));
    expect([up('ab'), up('ab'), rev('ab'), up('cd')]).toEqual(['AB', 'AB', 'ba', 'CD']);
    expect(calls).toBe(2);
    expect(cacheStats()['test-upper']).toMatchObject({ misses: 2, entries: 2 });
  });

  it("widestLine agrees with Ink's widest-line", () => {
    for (const s of ['', 'abc', 'a\nbcd\n', '漢字\nx', '\x1b[31mred\x1b[39m', 'e\u0301\n😀😀']) expect(widestLine(s)).toBe(inkWidestLine(s));
  });
});
