// React glue for the dashboard store: components subscribe to a slice with a selector and
// re-render only when that slice changes (useSyncExternalStore + an equality check).
import { createContext, useCallback, useContext, useRef, useSyncExternalStore } from 'react';
import type { State, Store } from '../src/tui/store.js';

export const StoreContext = createContext<Store | null>(null);

export function useStore(): Store {
  const s = useContext(StoreContext);
  if (!s) throw new Error('StoreContext missing: render inside <StoreContext.Provider>');
  return s;
}

export function shallowEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** Selects a slice of the store; `equal` (shallow by default) decides whether it changed. */
export function useSelector<T>(select: (s: State) => T, equal: (a: T, b: T) => boolean = shallowEqual): T {
  const store = useStore();
  const last = useRef<{ state: State; select: unknown; value: T } | null>(null);
  const getSnapshot = useCallback(() => {
    const state = store.getState();
    const prev = last.current;
    if (prev && prev.state === state && prev.select === select) return prev.value;
    const value = select(state);
    if (prev && equal(prev.value, value)) {
      last.current = { state, select, value: prev.value };
      return prev.value;
    }
    last.current = { state, select, value };
    return value;
    // The selector is usually an inline arrow: a new getSnapshot per render is fine, the
    // cached value above keeps the result stable.
  }, [store, select, equal]);
  return useSyncExternalStore(store.subscribe, getSnapshot, getSnapshot);
}
