// The state file behind a cross-process lock.
import type { TkState } from '../core/state.js';

export interface StateStore {
  /** A consistent snapshot (no lock needed: the file is replaced atomically). */
  read(): Promise<TkState>;
  /**
   * Read-modify-write under the cross-process lock. `fn` mutates the given state (or throws to
   * abort without writing); the file is replaced atomically only when it changed.
   */
  update<T>(fn: (state: TkState) => T | Promise<T>): Promise<T>;
  /** Messages about a one-time import of the Rust tool's files (empty when none happened). */
  readonly notices: string[];
}
