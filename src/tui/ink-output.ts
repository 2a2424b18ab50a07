// A faster drop-in for Ink's internal `Output` (ink/build/output.js): the frame buffer that Ink's
// renderer writes every text node into and turns into the frame's string. The production build
// substitutes this module for Ink's (scripts/build-options.mjs, `inkOutputPlugin`); the result
// is byte-for-byte the same (test/tui/ink-output.test.ts runs both on random frames).
//
// Why: Ink builds a new Output per frame and, for a 160x50 board, allocates one object per cell,
// tokenizes every written line twice and serializes all 50 rows again, although a keystroke
// changes two or three of them. Here:
//  - text widths (also `widest-line`, which Ink's renderer calls for every text node) are cached;
//  - tokenized lines, widths, line splits and column slices are cached across frames (two
//    generations of bounded maps, so a steady frame costs lookups, not parsing);
//  - empty cells share one object, and cached lines share their cell objects between frames;
//  - a row whose cells are the very same objects as the row at that index in the previous frame
//    reuses that frame's serialized string, so only changed rows are serialized.
// Cell objects are never mutated once created (partial wide characters get a new blank cell), so
// sharing them is safe and identity equality implies equal output.
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
  constructor(
    private readonly budget: number,
    private readonly weigh: (key: string, value: V) => number = () => 1,
  ) {}
  get(key: string, make: (key: string) => V): V {
    let v = this.young.get(key);
    if (v !== undefined) return v;
    v = this.old.get(key);
    if (v === undefined) v = make(key);
    const w = this.weigh(key, v);
    if (this.weight + w > this.budget) {
      this.old = this.young;
      this.young = new Map();
      this.weight = 0;
    }
    this.young.set(key, v);
    this.weight += w;
    return v;
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
// Budgets, in approximate bytes per generation. A frame's working set (a 200x60 board: ~60 rows
// of up to ~600 characters with their styles) must fit well inside one generation, or entries
// would be dropped and recomputed every frame; two generations of all caches stay under ~10 MB.
const KB = 1024;
const CELL_BYTES = 80;
const stringBytes = (key: string) => 2 * key.length + 64;
const widths = new GenerationalCache<number>(512 * KB, stringBytes);
const cellsCache = new GenerationalCache<Cells>(2048 * KB, (_k, v) => CELL_BYTES * v.chars.length + 64);
const linesCache = new GenerationalCache<{ lines: string[]; widest: number }>(512 * KB, (k) => 2 * stringBytes(k));
const sliceCache = new GenerationalCache<string>(512 * KB, (k, v) => stringBytes(k) + stringBytes(v));
const widestCache = new GenerationalCache<number>(512 * KB, stringBytes);
const sanitizeCache = new GenerationalCache<string>(512 * KB, (k, v) => stringBytes(k) + stringBytes(v));

/**
 * `fn` (a pure string function) with its results cached across frames. The build wraps Ink's
 * sanitizeAnsi with it: Ink runs it on every text node's whole text on every frame.
 */
export function cachedStringFunction(fn: (s: string) => string): (s: string) => string {
  return (s) => sanitizeCache.get(s, fn);
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

/** Previous frame's rows by index: the cells written and the string they serialized to. */
const previousRows: { cells: StyledChar[]; text: string }[] = [];

function serializeRow(y: number, row: (StyledChar | undefined)[]): string {
  // Writes past the end can leave holes; they are skipped, as Ink does.
  let cells = row as StyledChar[];
  for (let i = 0; i < row.length; i++) {
    if (row[i] === undefined) {
      cells = row.filter((c): c is StyledChar => c !== undefined);
      break;
    }
  }
  const prev = previousRows[y];
  if (prev && prev.cells.length === cells.length) {
    let same = true;
    for (let i = 0; i < cells.length; i++) {
      if (prev.cells[i] !== cells[i]) {
        same = false;
        break;
      }
    }
    if (same) return prev.text;
  }
  const text = styledCharsToString(cells).trimEnd();
  previousRows[y] = { cells, text };
  return text;
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
    const grid: (StyledChar | undefined)[][] = [];
    for (let y = 0; y < this.height; y++) grid.push(new Array<StyledChar>(this.width).fill(BLANK));
    const clips: Clip[] = [];
    for (const op of this.operations) {
      if (op.kind === 'clip') clips.push(intersect(clips[clips.length - 1], op.clip));
      else if (op.kind === 'unclip') clips.pop();
      else this.apply(grid, op, clips[clips.length - 1]);
    }
    if (previousRows.length > grid.length) previousRows.length = grid.length;
    const out: string[] = [];
    for (let y = 0; y < grid.length; y++) out.push(serializeRow(y, grid[y] as StyledChar[]));
    return { output: out.join('\n'), height: grid.length };
  }

  private apply(grid: (StyledChar | undefined)[][], op: Extract<Operation, { kind: 'write' }>, clip: Clip | undefined): void {
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
      const row = grid[y + index];
      if (!row) continue; // above or below the frame
      let line = lines[index] as string;
      for (const transform of op.transformers) line = transform(line, index + y - op.y);
      const { chars, advance } = cellsOf(line);
      if (chars.length === 0) continue;
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
  }
}
