// Argument parsing: global flags anywhere before `--`, then the command's own flags and positionals.
import { TkError } from '../core/errors.js';
import type { CommandSpec, ParsedArgs } from './command.js';

export interface GlobalFlags {
  json: boolean;
  verbose: boolean;
  quiet: boolean;
  help: boolean;
  version: boolean;
}

/** Global flags (long name -> key), also read by the completion scripts (src/cli/completions.ts). */
export const GLOBAL_LONG: Record<string, keyof GlobalFlags> = { json: 'json', verbose: 'verbose', quiet: 'quiet', help: 'help', version: 'version' };
export const GLOBAL_SHORT: Record<string, keyof GlobalFlags> = { v: 'verbose', q: 'quiet', h: 'help', V: 'version' };

export function usageError(message: string, usage?: string): TkError {
  return new TkError('usage', message, { hint: usage ? `Usage: tk ${usage}\nRun \`tk ${usage.split(' ')[0]} -h\` for help.` : 'Run `tk -h` for help.' });
}

/**
 * Splits global flags out of argv (they may come before or after the command, never after `--`).
 * Returns the globals and the remaining argv in order.
 */
export function extractGlobals(argv: readonly string[], passthroughAfterFirst: (cmd: string) => boolean = () => false): { globals: GlobalFlags; rest: string[] } {
  const globals: GlobalFlags = { json: false, verbose: false, quiet: false, help: false, version: false };
  const rest: string[] = [];
  let sawCommand = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (sawCommand && passthroughAfterFirst(rest[0] as string)) {
      // Sub-CLIs (tk proxy) parse their own flags; only --json is shared.
      if (a === '--json') globals.json = true;
      else rest.push(a);
      continue;
    }
    if (a.startsWith('--') && GLOBAL_LONG[a.slice(2)]) {
      globals[GLOBAL_LONG[a.slice(2)] as keyof GlobalFlags] = true;
      continue;
    }
    if (/^-[A-Za-z]+$/.test(a)) {
      const letters = [...a.slice(1)];
      const globalLetters = letters.filter((l) => GLOBAL_SHORT[l]);
      const others = letters.filter((l) => !GLOBAL_SHORT[l]);
      for (const l of globalLetters) globals[GLOBAL_SHORT[l] as keyof GlobalFlags] = true;
      if (others.length > 0) rest.push(`-${others.join('')}`);
      continue;
    }
    if (!a.startsWith('-')) sawCommand = true;
    rest.push(a);
  }
  return { globals, rest };
}

/** Parses a command's argv (globals already removed) against its spec. Throws usage errors (exit 2). */
export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { flags: {}, positionals: [], rest: null, raw: [...argv] };
  if (spec.passthrough) return parsed;
  const flags = spec.flags ?? {};
  const byShort = new Map<string, string>();
  for (const [name, f] of Object.entries(flags)) if (f.short) byShort.set(f.short, name);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      if (!spec.rest) throw usageError(`tk ${spec.name} takes no arguments after --.`, spec.usage);
      parsed.rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const f = flags[name];
      if (!f) throw usageError(`Unknown option --${name} for tk ${spec.name}.`, spec.usage);
      if (f.type === 'boolean') {
        if (eq > 0) throw usageError(`--${name} takes no value.`, spec.usage);
        parsed.flags[name] = true;
      } else {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw usageError(`--${name} needs a value.`, spec.usage);
        parsed.flags[name] = v;
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      const letters = [...a.slice(1)];
      for (let j = 0; j < letters.length; j++) {
        const name = byShort.get(letters[j] as string);
        if (!name) throw usageError(`Unknown option -${letters[j]} for tk ${spec.name}.`, spec.usage);
        const f = flags[name]!;
        if (f.type === 'boolean') parsed.flags[name] = true;
        else {
          const inline = letters.slice(j + 1).join('');
          const v = inline || argv[++i];
          if (v === undefined) throw usageError(`-${letters[j]} needs a value.`, spec.usage);
          parsed.flags[name] = v;
          break;
        }
      }
      continue;
    }
    parsed.positionals.push(a);
  }
  const pos = spec.positionals ?? [];
  if (parsed.positionals.length > pos.length) {
    const extra = parsed.positionals[pos.length] as string;
    throw usageError(
      spec.rest ? `Unexpected argument ${JSON.stringify(extra)}: put the command after --, e.g. tk ${spec.name} -- ls -la.` : `Unexpected argument ${JSON.stringify(extra)} for tk ${spec.name}.`,
      spec.usage,
    );
  }
  pos.forEach((p, i) => {
    if (p.required && parsed.positionals[i] === undefined) throw usageError(`Missing ${p.name} for tk ${spec.name}.`, spec.usage);
  });
  if (spec.rest === 'required' && (parsed.rest === null || parsed.rest.length === 0)) {
    throw usageError(`tk ${spec.name} needs a command after --.`, spec.usage);
  }
  return parsed;
}

/** `tk CMD -h` text, from the spec. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: tk ${spec.usage}`, '', spec.summary];
  if (spec.aliases?.length) lines.push('', `Aliases: ${spec.aliases.join(', ')}`);
  if (spec.description) lines.push('', spec.description);
  const pos = spec.positionals ?? [];
  if (pos.length) {
    lines.push('', 'Arguments:');
    for (const p of pos) lines.push(`  ${p.name.padEnd(22)}${p.description ?? ''}`);
  }
  const flagRows = Object.entries(spec.flags ?? {}).map(([n, f]) => {
    const left = `${f.short ? `-${f.short}, ` : '    '}--${n}${f.type === 'string' ? ` ${f.valueName ?? 'VALUE'}` : ''}`;
    return `  ${left.padEnd(22)}${f.description}`;
  });
  lines.push('', 'Options:', ...flagRows);
  lines.push('      --json            One JSON document on stdout (progress and warnings on stderr)');
  lines.push('  -v, --verbose         More detail on stderr');
  lines.push('  -q, --quiet           No progress output');
  lines.push('  -h, --help            This help');
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n') + '\n';
}
