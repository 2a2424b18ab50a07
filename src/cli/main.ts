// tk's command line: global flags, the command table (modules load lazily), dispatch, exit codes.
// Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted; `exec` returns the remote code.
import { fstatSync } from 'node:fs';
import pkg from '../../package.json' with { type: 'json' };
import { TkError, toTkError } from '../core/errors.js';
import type { LoadedConfig } from '../adapters/config-loader.js';
import { commandHelp, extractGlobals, parseCommandArgs, usageError } from './args.js';
import type { CliIo, Command, CommandContext, ServiceHandle } from './command.js';
import { loadCommandModule, loadCreateService, loadDashboardConfigFrom, loadRunDashboard } from './entries.js';
import { Output } from './output.js';
import { createProgress } from './progress.js';

export const VERSION: string = (pkg as { version: string }).version;

interface Entry {
  name: string;
  aliases: readonly string[];
  summary: string;
}

/** The command table: names, aliases and summaries (the modules themselves load on use). */
export const COMMANDS: readonly Entry[] = [
  { name: 'spawn', aliases: [], summary: "Create, start or reconnect the current (or given) branch's VM, then enter it" },
  { name: 'enter', aliases: [], summary: 'Open a shell in a VM (--agent: start Claude Code)' },
  { name: 'exec', aliases: [], summary: 'Run a command in a VM: tk exec [NAME] -- CMD...' },
  { name: 'provision', aliases: [], summary: 'Run (or finish) provisioning of a VM again' },
  { name: 'halt', aliases: ['stop'], summary: 'Shut a VM down (the disk is kept)' },
  { name: 'suspend', aliases: [], summary: 'Suspend a VM (macOS guests; Linux guests: explains the alternative)' },
  { name: 'resume', aliases: [], summary: 'Start a suspended or stopped VM without entering it' },
  { name: 'destroy', aliases: ['delete'], summary: 'Delete a VM, its state and logs, and its worktree when clean' },
  { name: 'list', aliases: ['ls'], summary: 'List VMs with their live state' },
  { name: 'status', aliases: [], summary: "Show one VM's details" },
  { name: 'pr', aliases: [], summary: "Commit the VM's changes, push its branch and open a GitHub PR" },
  { name: 'prune', aliases: [], summary: 'Delete VMs unused for N days (default prune_after_days)' },
  { name: 'cd', aliases: [], summary: "Print a VM's worktree path (cd \"$(tk cd)\")" },
  { name: 'logs', aliases: [], summary: "Show a VM's log; -f follows" },
  { name: 'config', aliases: [], summary: 'Show the merged config; trust/untrust repository config' },
  { name: 'proxy', aliases: [], summary: 'Credential proxy: start | stop | status' },
  { name: 'mcp', aliases: [], summary: 'Run the MCP server on stdio' },
  { name: 'doctor', aliases: [], summary: 'Check tart, git, ssh, gh, the config, the state file and the proxy port' },
  { name: 'completions', aliases: [], summary: 'Print a shell completion script: bash | zsh | fish' },
];

export function findCommand(word: string): Entry | undefined {
  return COMMANDS.find((c) => c.name === word || c.aliases.includes(word));
}

/**
 * The command (or alias) of 4+ letters within a small edit distance of `word` (2 for names of 7+
 * letters, else 1); undefined for anything else. Short names (ls, cd, pr, mcp) are left out: too many
 * real branch names sit next to them.
 */
export function nearCommand(word: string): string | undefined {
  if (word.length < 4) return undefined;
  for (const c of COMMANDS) {
    for (const n of [c.name, ...c.aliases]) {
      if (n.length >= 4 && editDistance(word, n) <= (n.length >= 7 ? 2 : 1)) return n;
    }
  }
  return undefined;
}

function editDistance(a: string, b: string): number {
  // Damerau-Levenshtein (optimal string alignment), so a swapped pair (`lsit`) costs 1.
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min(up[j]! + 1, row[j - 1]! + 1, up[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, (d[i - 2] as number[])[j - 2]! + 1);
    }
  }
  return (d[a.length] as number[])[b.length]!;
}

function topHelp(): string {
  const rows = COMMANDS.map((c) => `  ${(c.name + (c.aliases.length ? `, ${c.aliases.join(', ')}` : '')).padEnd(18)}${c.summary}`);
  return [
    `tk ${VERSION}: one throwaway Tart VM per git branch, for coding agents`,
    '',
    'Usage: tk [COMMAND] [ARGS] [--json] [-v] [-q]',
    '       tk                 the dashboard on a terminal, else the same as tk list',
    '       tk BRANCH          spawn the branch\'s VM and enter it',
    '',
    'Commands:',
    ...rows,
    '',
    'Global options:',
    '      --json            One JSON document on stdout (progress and warnings on stderr)',
    '  -v, --verbose         More detail on stderr',
    '  -q, --quiet           No progress output',
    '  -h, --help            Help (tk COMMAND -h for a command)',
    '      --version         Print the version',
    '',
    'Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted; exec returns the remote code.',
    'Environment: TK_HOME (all of tk\'s files), TK_TART (the tart binary).',
  ].join('\n') + '\n';
}

export interface MainOptions {
  argv: readonly string[];
  io: CliIo;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM by the process entry. */
  signal?: AbortSignal;
  /** Told when a child owns the terminal (signals must then be left alone). */
  onTerminalHandOff?: (held: boolean) => void;
  /** Whether stdin and stdout are terminals; default: their streams' isTTY. */
  interactive?: boolean;
}

function isCommand(m: unknown): m is Command {
  return !!m && typeof m === 'object' && typeof (m as Command).run === 'function' && typeof (m as Command).name === 'string';
}

export async function main(opts: MainOptions): Promise<number> {
  let globals;
  let rest: string[];
  try {
    ({ globals, rest } = extractGlobals(opts.argv, (cmd) => findCommand(cmd)?.name === 'proxy'));
  } catch (e) {
    const out = new Output(opts.io, opts.argv.includes('--json'), false, false);
    out.error(toTkError(e));
    return 2;
  }
  const out = new Output(opts.io, globals.json, globals.quiet, globals.verbose);
  const signal = opts.signal ?? new AbortController().signal;
  const shown = new Set<string>();
  const warnOnce = (w: string) => {
    if (!shown.has(w)) {
      shown.add(w);
      out.warn(w);
    }
  };
  let configP: Promise<LoadedConfig> | null = null;
  let serviceP: Promise<ServiceHandle> | null = null;
  const ctx: CommandContext = {
    io: opts.io,
    json: globals.json,
    verbose: globals.verbose,
    quiet: globals.quiet,
    interactive: opts.interactive ?? (!!opts.io.stdin.isTTY && !!opts.io.stdout.isTTY),
    cwd: opts.cwd,
    env: opts.env,
    version: VERSION,
    commands: COMMANDS,
    signal,
    out,
    config() {
      configP ??= import('../adapters/config-loader.js').then(async ({ loadConfig }) => {
        const c = await loadConfig({ cwd: opts.cwd, env: opts.env });
        out.debug(`config: ${c.files.length ? c.files.join(', ') : 'defaults only'}; tart: ${c.tartPath}; home: ${c.paths.home}`);
        c.notices.forEach((n) => out.info(n));
        c.warnings.forEach(warnOnce);
        return c;
      });
      return configP;
    },
    service() {
      // Config first: its notices (the one-time import) and warnings are printed once, here.
      serviceP ??= Promise.all([loadCreateService(), ctx.config()]).then(async ([createService]) => {
        const r = await createService({ cwd: opts.cwd, env: opts.env, log: (l) => out.debug(l) });
        r.warnings.forEach(warnOnce);
        return { service: r.service, config: r.config };
      });
      return serviceP;
    },
    progress: () => createProgress(opts.io.stderr, { quiet: globals.quiet }),
    async withTerminal(fn) {
      opts.onTerminalHandOff?.(true);
      try {
        return await fn();
      } finally {
        opts.onTerminalHandOff?.(false);
      }
    },
  };

  try {
    if (rest.length === 0) {
      if (globals.version) {
        if (globals.json) out.document({ name: 'tk', version: VERSION });
        else out.text(`tk ${VERSION}\n`);
        return 0;
      }
      if (globals.help) {
        out.text(topHelp());
        return 0;
      }
      if (ctx.interactive && !globals.json) return await runDashboard(ctx);
      return await runCommand(ctx, 'list', [], globals.help);
    }
    const [first, ...args] = rest as [string, ...string[]];
    if (first === '--') throw usageError('Nothing to run before --.');
    const entry = findCommand(first);
    if (!entry) {
      if (first.startsWith('-')) throw usageError(`Unknown option ${first}.`);
      // `tk BRANCH`: spawn and enter (a branch named like a command needs `tk spawn BRANCH`).
      // A word one or two edits away from a command is far more likely a typo (`tk lsit`) than a
      // branch: creating a VM and a branch for it would be a costly surprise.
      const near = nearCommand(first);
      if (near) {
        throw new TkError('usage', `Unknown command ${first}. Did you mean \`tk ${near}\`?`, {
          hint: `To spawn a VM for a branch named ${first}, run \`tk spawn ${first}\`.`,
        });
      }
      return await runCommand(ctx, 'spawn', [first, ...args], globals.help);
    }
    return await runCommand(ctx, entry.name, args, globals.help);
  } catch (e) {
    const err = signal.aborted && !(e instanceof TkError) ? new TkError('interrupted', 'Interrupted.') : toTkError(e);
    out.error(err);
    return signal.aborted && err.exitCode === 1 ? 130 : err.exitCode;
  }
}

async function runCommand(ctx: CommandContext, file: string, argv: string[], help: boolean): Promise<number> {
  // Nearly every command reads the config: load its module while the command's module loads.
  if (!help) void import('../adapters/config-loader.js').catch(() => undefined);
  const mod = await loadCommandModule(file);
  if (!isCommand(mod)) throw new TkError('io', `The ${file} command module is malformed.`);
  if (help || (mod.passthrough && (argv.includes('-h') || argv.includes('--help')))) {
    ctx.out.text(commandHelp(mod));
    return 0;
  }
  const args = parseCommandArgs(mod, argv);
  const code = await mod.run(ctx, args);
  if (ctx.json && !mod.ownsStdout && !ctx.out.wroteStdout) ctx.out.document({ exit_code: code, success: code === 0 });
  return code;
}

async function runDashboard(ctx: CommandContext): Promise<number> {
  const [runDashboard, dashboardConfigFrom, cfg, { service }] = await Promise.all([
    loadRunDashboard(),
    loadDashboardConfigFrom(),
    ctx.config(),
    ctx.service(),
  ]);
  let config: unknown;
  try {
    config = dashboardConfigFrom(cfg.config.dashboard);
  } catch (e) {
    const origin = cfg.origins.dashboard;
    throw new TkError('config', `${(e as Error).message}${origin ? ` (in ${origin.file}${origin.lineOf('dashboard') ? `:${origin.lineOf('dashboard')}` : ''})` : ''}`, {
      hint: 'Fix the [dashboard] table of your config.',
    });
  }
  return runDashboard(service, { cwd: ctx.cwd, config });
}

/** Whether fd is a terminal, without creating process.stdin/stdout (node:tty loads only for a character device). */
function isTerminal(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice() && process.getBuiltinModule('node:tty').isatty(fd);
  } catch {
    return false;
  }
}

/** Process entry: real streams, signals, exit code. */
export async function run(): Promise<void> {
  const ac = new AbortController();
  let held = false;
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    // Ctrl-C while ssh owns the terminal belongs to the remote shell.
    if (held && sig === 'SIGINT') return;
    interrupts++;
    if (interrupts === 1) ac.abort();
    else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // process.stdin/stdout/stderr are created on first use (each costs start-up time; `tk list`
  // never reads stdin).
  let wroteStdout = false;
  const io: CliIo = {
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      wroteStdout = true;
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
  };
  const code = await main({
    argv: process.argv.slice(2),
    io,
    interactive: isTerminal(0) && isTerminal(1),
    env: process.env,
    cwd: process.cwd(),
    signal: ac.signal,
    onTerminalHandOff: (h) => {
      held = h;
    },
  });
  // Flush stdout (a pipe may still hold the JSON document) before exiting.
  if (wroteStdout) await new Promise<void>((r) => process.stdout.write('', () => r()));
  process.exit(code);
}

