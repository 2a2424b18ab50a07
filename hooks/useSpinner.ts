// One shared spinner clock for every spinning cell: a single timer that runs only while
// something spins, so an idle board has no timers at all.
import { useSyncExternalStore } from 'react';

const FRAME_MS = 120;
let frame = 0;
let timer: NodeJS.Timeout | null = null;
const subs = new Set<() => void>();

function subscribe(fn: () => void): () => void {
  subs.add(fn);
  if (!timer) {
    timer = setInterval(() => {
      frame++;
      for (const s of [...subs]) s();
    }, FRAME_MS);
  }
  return () => {
    subs.delete(fn);
    if (subs.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

const noop = () => () => {};
const zero = () => 0;
const get = () => frame;

/** Current spinner frame while `active`; a constant 0 (no subscription, no timer) otherwise. */
export function useSpinner(active: boolean): number {
  return useSyncExternalStore(active ? subscribe : noop, active ? get : zero, active ? get : zero);
}
