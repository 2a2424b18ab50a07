// Gives memory back once the board goes quiet.
//
// A burst of renders (keys, an action's progress) leaves garbage that V8 would keep committed:
// Node gives V8 no idle notifications, so nothing shrinks the heap on its own. After a burst, once
// nothing has rendered for `quietMs`, we run one memory-reducing full GC (V8's "last resort"
// flavour: compacts, shrinks the young generation and returns the pages to the OS), but only when
// the heap holds enough slack, or has grown enough since our last collection, to be worth ~20 ms
// of CPU. (Frames allocate far less since Ink's
// frame buffer is cached, src/tui/ink-output.ts, and bin/tk caps the young generation, so this
// fires rarely now; it still bounds what a long burst leaves behind.)
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export type Collect = () => void;

export interface IdleGcOptions {
  /** Quiet time after the last render before collecting. */
  quietMs?: number;
  /** Collect only when the heap's committed-but-unused bytes exceed this. */
  minSlackBytes?: number;
  /** Injected for tests; defaults to V8's memory-reducing GC (null when unavailable). */
  collect?: Collect | null;
  slackBytes?: () => number;
  /** Heap bytes in use, live or garbage not yet swept (injected for tests). */
  usedBytes?: () => number;
}

export interface IdleGc {
  /** Call after every render. */
  rendered(): void;
  stop(): void;
}

/** V8's gc() with the memory-reducing flavour, or null when this runtime cannot provide it. */
export function v8Collect(): Collect | null {
  try {
    const g = (globalThis as { gc?: unknown }).gc;
    let fn: unknown = typeof g === 'function' ? g : null;
    if (!fn) {
      // Exposes gc() to new contexts only; the dashboard's own global stays untouched.
      setFlagsFromString('--expose-gc');
      fn = runInNewContext('typeof gc === "function" ? gc : null');
    }
    if (typeof fn !== 'function') return null;
    const gc = fn as (opts?: { type: string; flavor?: string; execution?: string }) => void;
    return () => gc({ type: 'major', flavor: 'last-resort', execution: 'sync' });
  } catch {
    return null;
  }
}

const heapSlack = (): number => {
  const h = getHeapStatistics();
  return h.total_heap_size - h.used_heap_size;
};

export function startIdleGc(opts: IdleGcOptions = {}): IdleGc {
  const quietMs = opts.quietMs ?? 1000;
  const minSlack = opts.minSlackBytes ?? 8 * 1024 * 1024;
  // Resolved on first use: a new V8 context costs time and memory the first frame does not need.
  let collect: Collect | null | undefined = opts.collect;
  const slack = opts.slackBytes ?? heapSlack;
  const used = opts.usedBytes ?? (() => getHeapStatistics().used_heap_size);
  // Heap in use right after our last collection (live data then). Growth beyond it is garbage not
  // yet swept or new data: e.g. the launch burst (100 worktree scans) leaves old-space garbage that
  // counts as used, not as slack. The first quiet moment after launch therefore collects once.
  let usedAfterLast = 0;
  let timer: NodeJS.Timeout | null = null;
  const fire = () => {
    timer = null;
    if (slack() <= minSlack && used() - usedAfterLast <= minSlack) return;
    if (collect === undefined) collect = v8Collect();
    collect?.();
    usedAfterLast = used();
  };
  return {
    rendered() {
      if (collect === null) return;
      if (timer) timer.refresh();
      else {
        timer = setTimeout(fire, quietMs);
        // Never keeps the process alive on its own.
        timer.unref();
      }
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
