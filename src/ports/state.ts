import type { StateFile } from '../core/state.js';

/** The state file, with cross-process locking. */
export interface StateStore {
  /** A snapshot (no lock held after return). Missing file = empty state. */
  read(): Promise<StateFile>;
  /**
   * Read-modify-write under the cross-process lock: `fn` mutates the state it is given; the result
   * is written atomically (tmp + fsync + rename) unless `fn` throws. Returns `fn`'s result.
   */
  update<T>(fn: (state: StateFile) => T | Promise<T>): Promise<T>;
}
