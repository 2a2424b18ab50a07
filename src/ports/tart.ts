// The Tart CLI, as tk needs it. Implemented by src/adapters/tart.ts (argv only, JSON parsed,
// a timeout on every call, TartError with stderr). Fakes in tests behave like Tart.
import type { TartVm, TartVmInfo } from '../core/model.js';

export interface TartRunOptions {
  /** `--dir` values, `[name:]path[:ro]`. */
  dirs: string[];
  noGraphics: boolean;
  /** `--suspendable` (macOS guests only: Tart refuses it for Linux). */
  suspendable: boolean;
  /** stdout and stderr of the detached `tart run` are appended here. */
  logFile: string;
}

export interface TartSetOptions {
  cpu?: number;
  memoryMb?: number;
  display?: string;
  randomMac?: boolean;
}

export interface TartPort {
  list(signal?: AbortSignal): Promise<TartVm[]>;
  get(name: string): Promise<TartVmInfo>;
  clone(source: string, name: string, signal?: AbortSignal): Promise<void>;
  set(name: string, opts: TartSetOptions): Promise<void>;
  /** Starts a detached `tart run` (its own session) and resolves once it is spawned. */
  run(name: string, opts: TartRunOptions): Promise<void>;
  /** `tart ip --wait`; null when no IP was found within waitSecs. Never proof the VM is up. */
  ip(name: string, waitSecs: number, signal?: AbortSignal): Promise<string | null>;
  /** Hard power-off (SIGINT to `tart run`); a stopped VM is not an error. */
  stop(name: string, timeoutSecs?: number): Promise<void>;
  /** Fire-and-forget SIGUSR1 (only valid for a VM started with --suspendable). */
  suspend(name: string): Promise<void>;
  delete(name: string): Promise<void>;
}
