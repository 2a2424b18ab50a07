// One error type for everything a user can hit. Each carries what happened (message) and,
// where possible, what to do (hint). Edges map it: CLI -> stderr + exit code, TUI -> message line,
// MCP -> tool error with the same text.

export type ErrorCode =
  | 'usage'
  | 'config'
  | 'state'
  | 'git'
  | 'tart'
  | 'ssh'
  | 'provision'
  | 'vm'
  | 'proxy'
  | 'mcp'
  | 'io'
  | 'interrupted';

export class TkError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** Process exit code at the CLI edge: 2 usage, 130 interrupted, 1 otherwise. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; cause?: unknown; exitCode?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TkError';
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? (code === 'usage' ? 2 : code === 'interrupted' ? 130 : 1);
  }
}

/** A tart command failed. Keeps argv and stderr for the log; message is for the user. */
export class TartError extends TkError {
  readonly argv: readonly string[];
  readonly tartExitCode: number | null;
  readonly stderr: string;
  constructor(message: string, opts: { argv: readonly string[]; exitCode: number | null; stderr: string; hint?: string; cause?: unknown }) {
    super('tart', message, { hint: opts.hint, cause: opts.cause });
    this.argv = opts.argv;
    this.tartExitCode = opts.exitCode;
    this.stderr = opts.stderr;
  }
}

/** Whether `e` is Tart saying the VM does not exist (`the specified VM "x" does not exist`). */
export function isMissingVmError(e: unknown): boolean {
  return e instanceof TartError && /the specified VM .* does not exist/.test(e.stderr);
}

export function toTkError(e: unknown): TkError {
  if (e instanceof TkError) return e;
  if (e instanceof Error) return new TkError('io', e.message, { cause: e });
  return new TkError('io', String(e));
}

/** "what happened" + "\n" + "what to do", as printed by every edge. */
export function formatError(e: TkError): string {
  return e.hint ? `${e.message}\n${e.hint}` : e.message;
}
