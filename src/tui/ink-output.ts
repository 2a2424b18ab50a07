// A faster drop-in for Ink's internal `Output` (ink/build/output.js): the frame buffer that Ink's
// renderer writes every text node into and turns into the frame's string. The production build
// substitutes this module for Ink's (scripts/build-options.mjs, `inkOutputPlugin`); the result
// is byte-for-byte the same (test/tui/ink-output.test.ts runs both on random frames).
//
// Why: Ink builds a new Output per frame and, for a 160x50 board, allocates one object per cell,
// tokenizes every written line twice and serializes all 50 rows again, although a keystroke or a
// spinner tick changes two or three of them. Here:
//  - a row is a pure function of the frame width and the lines written to it; when those equal
//    what the previous frame wrote to that row, its string is reused and no cell is built;
//  - changed rows are drawn from tokenized lines cached across frames, as are widths (also for
//    Ink's `widest-line`, `string-width` and sanitizeAnsi calls), line splits and column slices:
//    two generations of maps budgeted in bytes, so memory stays bounded however long it runs;
//  - empty cells share one object; cell objects are never mutated once created (a wide
//    character cut in half gets a new blank cell), so cached lines can share them.
import { styledCharsFromTokens, styledCharsToString, tokenize, type StyledChar } from '@alcalzone/ansi-tokenize';
import stringWidth from 'string-width';

export type OutputTransformer = (line: string, index: number) => string;

interface Clip {
  x1: number | undefined;
  x2: number | undefined;
  y1: number | undefined;
  y2: number | undefined;
}

type Operation = { kind: 'write'; x: number; y: number; text: string; transformers: readonly OutputTransformer[] } | { kind: 'clip'; clip: Clip } | { kind: 'unclip' };

/**
 * A map that keeps what the last two generations used. A generation ends once the weights of its
 * inserts reach `budget` (weights approximate memory: a cached row of cells weighs its length), so
 * the cache holds at most two budgets, however long the dashboard runs and whatever it shows.
 */
class GenerationalCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private weight = 0;
  misses = 0;
  rotations = 0;
  constructor(
    private readonly budget: number,
    private readonly weigh: (key: string, value: V) => number = () => 1,
  ) {}
  get(key: string, make: (key: string) => V): V {
    let v = this.young.get(key);
    if (v !== undefined) return v;
    v = this.old.get(key);
    if (v === undefined) {
      v = make(key);
      this.misses++;
    }
    const w = this.weigh(key, v);
    if (this.weight + w > this.budget) {
      this.rotations++;
      this.old = this.young;
      this.young = new Map();
      this.weight = 0;
    }
    this.young.set(key, v);
    this.weight += w;
    return v;
  }
  /** The cached value, if any, without making one or refreshing it. */
  peek(key: string): V | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }
  /** Entries held, and their total weight when `weigh` is given (for tests). */
  held(weigh: (key: string, value: V) => number = this.weigh): { entries: number; weight: number } {
    let weight = 0;
    for (const m of [this.young, this.old]) for (const [k, v] of m) weight += weigh(k, v);
    return { entries: this.young.size + this.old.size, weight };
  }
}

/** A line's cells plus what writing them needs, computed once per distinct string. */
interface Cells {
  chars: StyledChar[];
  /** Columns each cell advances (at least 1); null when every cell is one column wide. */
  advance: number[] | null;
}

const IGNORABLE = /^\p{Default_Ignorable_Code_Point}+$/u;
// Budgets, in approximate bytes per generation. Each must hold a frame's working set (a 200x60
// board: ~60 texts of up to ~600 characters with their styles, a spinner's ten frames of the rows
// that spin) or entries would be dropped and recomputed every frame. Cells are needed only for
// rows that changed (unchanged and recurring rows come from `rowCache`), so their cache is small.
// All caches together stay under ~4 MB.
const KB = 1024;
const CELL_BYTES = 80;
export const CELL_CACHE_BYTES = 384 * KB;
const stringBytes = (key: string) => 2 * key.length + 64;
const widths = new GenerationalCache<number>(128 * KB, stringBytes);
const cellsCache = new GenerationalCache<Cells>(CELL_CACHE_BYTES, (_k, v) => CELL_BYTES * v.chars.length + 64);
const linesCache = new GenerationalCache<{ lines: string[]; widest: number }>(256 * KB, (k) => 2 * stringBytes(k));
const sliceCache = new GenerationalCache<string>(128 * KB, (k, v) => stringBytes(k) + stringBytes(v));
const widestCache = new GenerationalCache<number>(128 * KB, stringBytes);
const rowCache = new GenerationalCache<string>(384 * KB, (k, v) => stringBytes(k) + stringBytes(v));
const uniformCache = new GenerationalCache<boolean>(128 * KB, stringBytes);
const functionCaches: Record<string, GenerationalCache<string>> = {};

/**
 * `fn` (a pure string function) with its results cached across frames, in a cache of its own
 * named `name`. The build wraps Ink's sanitizeAnsi with it: Ink runs it on every text node's
 * whole text on every frame.
 */
export function cachedStringFunction(name: string, fn: (s: string) => string): (s: string) => string {
  const cache = new GenerationalCache<string>(256 * KB, (k, v) => stringBytes(k) + stringBytes(v));
  functionCaches[name] = cache;
  return (s) => cache.get(s, fn);
}

/** Misses and generation changes of each cache (for tests and profiling). */
export function cacheStats(): Record<string, { misses: number; rotations: number; entries: number }> {
  const all = { widths, cellsCache, linesCache, sliceCache, widestCache, rowCache, uniformCache, ...functionCaches };
  return Object.fromEntries(Object.entries(all).map(([k, c]) => [k, { misses: c.misses, rotations: c.rotations, entries: c.held(() => 0).entries }]));
}

/** Cell objects held by the caches (test hook: they must stay bounded). */
export function cachedCells(): number {
  return cellsCache.held((_k, v) => v.chars.length).weight;
}

const widthOf = (s: string): number => widths.get(s, stringWidth);
/** string-width with the cache above; the build gives it to Ink's other modules (line updates). */
export const cachedStringWidth = widthOf;

/** Columns of the widest line of `text`; the build also gives it to Ink's renderer in place of `widest-line`. */
export function widestLine(text: string): number {
  return widestCache.get(text, () => {
    let widest = 0;
    for (const line of text.split('\n')) widest = Math.max(widest, widthOf(line));
    return widest;
  });
}

function cellsOf(line: string): Cells {
  return cellsCache.get(line, () => {
    const chars = styledCharsFromTokens(tokenize(line)).filter((c) => !IGNORABLE.test(c.value));
    let advance: number[] | null = null;
    for (let i = 0; i < chars.length; i++) {
      const w = widthOf((chars[i] as StyledChar).value);
      if (w !== 1 && advance === null) advance = chars.map(() => 1);
      if (advance) advance[i] = Math.max(1, w);
    }
    return { chars, advance };
  });
}

/** Whether every cell of `line` is one column wide (answered without keeping its cells). */
function oneColumnCells(line: string): boolean {
  return uniformCache.get(line, () => {
    const cached = cellsCache.peek(line);
    const chars = cached ? cached.chars : styledCharsFromTokens(tokenize(line)).filter((c) => !IGNORABLE.test(c.value));
    return chars.every((c) => widthOf(c.value) === 1);
  });
}

/** The text's rows as serialized strings (styles re-opened on each row) and its widest row. */
function linesOf(text: string) {
  return linesCache.get(text, () => {
    const rows: StyledChar[][] = [[]];
    for (const c of cellsOf(text).chars) {
      if (c.value === '\n') rows.push([]);
      else (rows[rows.length - 1] as StyledChar[]).push(c);
    }
    return { lines: rows.map((r) => styledCharsToString(r)), widest: widestLine(text) };
  });
}

const BLANK: StyledChar = Object.freeze({ type: 'char', value: ' ', fullWidth: false, styles: [] }) as StyledChar;

/** The same cell drawn as a space: a wide character cut in half keeps its styles but not its glyph. */
const blanked = (c: StyledChar): StyledChar => ({ ...c, value: ' ', fullWidth: false });

function bound(a: number | undefined, b: number | undefined, pick: (x: number, y: number) => number): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : pick(a, b);
}

function intersect(outer: Clip | undefined, inner: Clip): Clip {
  if (!outer) return inner;
  return { x1: bound(outer.x1, inner.x1, Math.max), x2: bound(outer.x2, inner.x2, Math.min), y1: bound(outer.y1, inner.y1, Math.max), y2: bound(outer.y2, inner.y2, Math.min) };
}

/** One line of a write that lands on a row: its column and its final (transformed) text. */
interface RowWrite {
  x: number;
  line: string;
}

/** Previous frame's rows by index: what was written to each and the string it serialized to. */
const previousRows: { width: number; writes: RowWrite[]; text: string }[] = [];

function sameWrites(a: readonly RowWrite[], b: readonly RowWrite[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as RowWrite;
    const q = b[i] as RowWrite;
    if (p.x !== q.x || p.line !== q.line) return false;
  }
  return true;
}

/** Draws one written line into a row of cells, keeping wide characters whole or blanked. */
function paintLine(row: (StyledChar | undefined)[], x: number, line: string): void {
  const { chars, advance } = cellsOf(line);
  if (chars.length === 0) return;
  let col = x;
  // Writing over the right half of a wide character: blank its left half.
  if (row[col]?.value === '' && col > 0 && widthOf(row[col - 1]?.value ?? '') > 1) row[col - 1] = blanked(row[col - 1] as StyledChar);
  if (advance === null) {
    for (let i = 0; i < chars.length; i++) row[col + i] = chars[i];
    col += chars.length;
  } else {
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i] as StyledChar;
      const w = advance[i] as number;
      row[col] = c;
      // The columns a wide character covers hold empty cells (a space when the character
      // starts left of the frame, so what is visible keeps its width).
      for (let k = 1; k < w; k++) row[col + k] = { type: 'char', value: col < 0 ? ' ' : '', fullWidth: false, styles: c.styles };
      col += w;
    }
  }
  // Writing over the left half of a wide character: blank its right half.
  const next = row[col];
  if (next?.value === '') row[col] = blanked(next);
}

/**
 * A row's string. A row is a pure function of the frame width and the lines written to it, in
 * order: when those are what the previous frame wrote to this row, its string is reused without
 * building cells at all.
 */
function renderRow(y: number, width: number, writes: RowWrite[]): string {
  const prev = previousRows[y];
  if (prev && prev.width === width && sameWrites(prev.writes, writes)) return prev.text;
  // Rows that come back (a spinner's frames, a selection moving back) are cached by content.
  let key = String(width);
  for (const w of writes) key += `\u0000${w.x}\u0000${w.line}`;
  const text = rowCache.get(key, () => drawRow(width, writes));
  previousRows[y] = { width, writes, text };
  return text;
}

function drawRow(width: number, writes: readonly RowWrite[]): string {
  const row: (StyledChar | undefined)[] = new Array<StyledChar>(width).fill(BLANK);
  for (const w of writes) paintLine(row, w.x, w.line);
  // Writes past the end can leave holes; they are skipped, as Ink does.
  let cells = row as StyledChar[];
  for (let i = 0; i < row.length; i++) {
    if (row[i] === undefined) {
      cells = row.filter((c): c is StyledChar => c !== undefined);
      break;
    }
  }
  return styledCharsToString(cells).trimEnd();
}

export default class Output {
  width: number;
  height: number;
  private readonly operations: Operation[] = [];

  constructor({ width, height }: { width: number; height: number }) {
    this.width = width;
    this.height = height;
  }

  write(x: number, y: number, text: string, options: { transformers: readonly OutputTransformer[] }): void {
    if (text === '') return;
    this.operations.push({ kind: 'write', x, y, text, transformers: options.transformers });
  }

  clip(clip: Clip): void {
    this.operations.push({ kind: 'clip', clip });
  }

  unclip(): void {
    this.operations.push({ kind: 'unclip' });
  }

  /** Columns [from, to) of a serialized line; a wide character cut by either edge becomes a blank cell. */
  sliceLineToColumns(line: string, from: number, to: number): string {
    if (from >= to) return '';
    // The whole line (the usual case: a row inside its clip). Lines here are already serialized
    // by the same function a slice ends with, so slicing all of it gives the line back, unless a
    // zero-width cell sits on an edge (slicing drops those): only lines of one-column cells.
    if (from <= 0 && to >= widthOf(line) && oneColumnCells(line)) return line;
    return sliceCache.get(`${from},${to},${line}`, () => {
      const kept: StyledChar[] = [];
      let column = 0;
      for (const c of cellsOf(line).chars) {
        const w = widthOf(c.value);
        const start = column;
        column += w;
        if (column <= from) continue;
        if (start >= to) break;
        kept.push(w > 1 && (start < from || column > to) ? blanked(c) : c);
      }
      return styledCharsToString(kept);
    });
  }

  get(): { output: string; height: number } {
    const writes: RowWrite[][] = [];
    for (let y = 0; y < this.height; y++) writes.push([]);
    const clips: Clip[] = [];
    for (const op of this.operations) {
      if (op.kind === 'clip') clips.push(intersect(clips[clips.length - 1], op.clip));
      else if (op.kind === 'unclip') clips.pop();
      else this.collect(writes, op, clips[clips.length - 1]);
    }
    if (previousRows.length > writes.length) previousRows.length = writes.length;
    const out: string[] = [];
    for (let y = 0; y < writes.length; y++) out.push(renderRow(y, this.width, writes[y] as RowWrite[]));
    return { output: out.join('\n'), height: writes.length };
  }

  /** Clips a write and files each of its visible lines under the row it lands on. */
  private collect(rows: RowWrite[][], op: Extract<Operation, { kind: 'write' }>, clip: Clip | undefined): void {
    let { x, y } = op;
    const parsed = linesOf(op.text);
    let lines = parsed.lines;
    if (clip) {
      const { x1, x2, y1, y2 } = clip;
      if ((x1 !== undefined && x2 !== undefined && x1 >= x2) || (y1 !== undefined && y2 !== undefined && y1 >= y2)) return;
      const horizontal = typeof x1 === 'number' && typeof x2 === 'number';
      const vertical = typeof y1 === 'number' && typeof y2 === 'number';
      // Entirely outside the clip: nothing to do.
      if (horizontal && (x + parsed.widest < x1 || x > x2)) return;
      if (vertical && (y + lines.length < y1 || y > y2)) return;
      if (horizontal) {
        const from = x < x1 ? x1 - x : 0;
        lines = lines.map((line) => {
          const w = widthOf(line);
          return this.sliceLineToColumns(line, from, x + w > x2 ? x2 - x : w);
        });
        if (x < x1) x = x1;
      }
      if (vertical) {
        const from = y < y1 ? y1 - y : 0;
        lines = lines.slice(from, y + lines.length > y2 ? y2 - y : lines.length);
        if (y < y1) y = y1;
      }
    }
    for (let index = 0; index < lines.length; index++) {
      const row = rows[y + index];
      if (!row) continue; // above or below the frame
      let line = lines[index] as string;
      for (const transform of op.transformers) line = transform(line, index + y - op.y);
      row.push({ x, line });
    }
  }
}
