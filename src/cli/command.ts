// The shape of a CLI command module. Each file in src/cli/commands/ default-exports a `Command`;
// src/cli/main.ts loads it lazily (only the command that runs is imported).
//
//   export default defineCommand({
//     name: 'halt', aliases: ['stop'], summary: 'Stop a VM', usage: 'halt [NAME]',
//     positionals: [{ name: 'NAME' }],
//     flags: { force: { type: 'boolean', description: '…' } },
//     async run(ctx, args) { const svc = await ctx.service(); …; ctx.out.success('Stopped x', data); return 0; },
//   });
import type { Config } from '../core/config.js';
import type { ProgressFn } from '../core/model.js';
import type { TkService } from '../core/service.js';
import type { LoadedConfig } from '../adapters/config-loader.js';
import type { Output } from './output.js';

export interface FlagSpec {
  type: 'boolean' | 'string';
  /** One-letter alias, without the dash. */
  short?: string;
  description: string;
  /** Shown in help: `--repo R`. */
  valueName?: string;
}

export interface PositionalSpec {
  name: string;
  required?: boolean;
  description?: string;
}

export interface CommandSpec {
  name: string;
  aliases?: readonly string[];
  /** One line, shown by `tk -h`. */
  summary: string;
  /** After `tk `, e.g. `destroy [NAME] [--force] [--discard-changes]`. */
  usage: string;
  /** More help text (paragraphs), shown by `tk CMD -h`. */
  description?: string;
  flags?: Record<string, FlagSpec>;
  positionals?: readonly PositionalSpec[];
  /** Arguments after `--`: 'required' (exec), 'optional', or not accepted (default). */
  rest?: 'required' | 'optional';
  /** Raw argv handed over untouched (for sub-CLIs such as `tk proxy`). */
  passthrough?: boolean;
  /**
   * The command writes stdout itself (JSON-RPC, a sub-CLI, an interactive child). Otherwise, with
   * --json, a command that printed no document through ctx.out gets `{"exit_code", "success"}`.
   */
  ownsStdout?: boolean;
  examples?: readonly string[];
}

export interface ParsedArgs {
  flags: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** Arguments after `--` (null when there was no `--`). */
  rest: string[] | null;
  /** Everything after the command name, verbatim (passthrough commands). */
  raw: string[];
}

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (b: boolean) => unknown };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export interface ServiceHandle {
  service: TkService;
  config: Config;
}

export interface Progress {
  /** Pass to service operations (`onProgress`). */
  onProgress: ProgressFn;
  /** A free-form step ("Resolving branch..."). */
  step(message: string): void;
  /** Stops the spinner (idempotent). */
  done(): void;
}

export interface CommandContext {
  io: CliIo;
  /** Global --json: exactly one JSON document on stdout (ctx.out does that). */
  json: boolean;
  verbose: boolean;
  quiet: boolean;
  /** stdin and stdout are terminals (prompts, interactive ssh). */
  interactive: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  version: string;
  /** The command table of src/cli/main.ts (names and aliases; `tk completions` loads each module). */
  commands: readonly { name: string; aliases: readonly string[]; summary: string }[];
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  out: Output;
  /** The loaded config (cached; its warnings go to stderr once). */
  config(): Promise<LoadedConfig>;
  /** The application service (src/adapters/wiring.ts createService), created on first use. */
  service(): Promise<ServiceHandle>;
  /** Progress reporter: spinner with phase and elapsed time on a TTY, plain lines otherwise, nothing with -q. */
  progress(): Progress;
  /**
   * Runs `fn` while the terminal belongs to a child (interactive ssh): tk ignores SIGINT meanwhile
   * (the child gets Ctrl-C from the terminal); SIGTERM still aborts `signal` (stop the child then).
   */
  withTerminal<T>(fn: () => Promise<T>): Promise<T>;
}

export interface Command extends CommandSpec {
  /** Resolves with the exit code (0 ok, 1 failure, 2 usage, 130 interrupted, or a remote code for exec). */
  run(ctx: CommandContext, args: ParsedArgs): Promise<number>;
}

export function defineCommand(c: Command): Command {
  return c;
}
