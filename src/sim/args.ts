// A small parser with swift-argument-parser 1.6.1's behaviour and texts: `--opt value`, `--opt=value`,
// short flags (clustered), `--` terminator, capture-for-passthrough, and its error messages:
//   Unknown option '--x'[. Did you mean '--y'?] / Missing value for '--o <v>' /
//   The value 'x' is invalid for '--o <v>'[. Please provide one of 'a' and 'b'.] /
//   Unexpected argument 'x' / Missing expected argument '<name>'
// each followed by an optional `Help:  …` line and the command's usage block; exit 64.
import { SimExit, usageBlock, USAGES } from './errors.js';

export const TART_VERSION = '2.35.0';

export interface ArgDef {
  name: string; // value name, e.g. "name" -> <name>
  help: string;
  optional?: boolean;
  repeating?: boolean;
  /** Everything from this argument on is captured verbatim (exec's command). */
  passthrough?: boolean;
}
export type ValueType = 'string' | 'uint' | 'uint16' | 'uint64' | 'int';
export interface OptDef {
  long: string;
  short?: string;
  help: string;
  /** Present for options taking a value: the value name (`<valueName>`). Absent = flag. */
  value?: string;
  type?: ValueType;
  choices?: readonly string[];
  repeating?: boolean;
  hidden?: boolean;
  /** `--no-<long>` sets false (Flag(inversion: .prefixedNo)). */
  inversion?: boolean;
  default?: string | number | boolean;
}
export interface CommandSpec {
  name: string;
  abstract: string;
  args: ArgDef[];
  options: OptDef[];
}
export type OptValue = string | number | boolean | string[] | undefined;
export interface Parsed {
  args: Record<string, string | string[] | undefined>;
  opts: Record<string, OptValue>;
}

function err(spec: CommandSpec, message: string, help?: string): SimExit {
  const helpLine = help ? `Help:  ${help}\n` : '';
  return new SimExit(64, `Error: ${message}\n${helpLine}${usageBlock(spec.name)}`);
}

function editDistance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] as number;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j] as number;
      d[j] = Math.min((d[j] as number) + 1, (d[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length] as number;
}

function unknownOption(spec: CommandSpec, name: string): SimExit {
  if (!name.startsWith('--')) return err(spec, `Unknown option '${name}'`);
  let best: string | null = null;
  let bestD = Infinity;
  for (const o of spec.options) {
    if (o.hidden) continue;
    for (const cand of [`--${o.long}`, ...(o.inversion ? [`--no-${o.long}`] : [])]) {
      const dist = editDistance(cand, name);
      if (dist < 4 && dist < bestD) {
        best = cand;
        bestD = dist;
      }
    }
  }
  return err(spec, best ? `Unknown option '${name}'. Did you mean '${best}'?` : `Unknown option '${name}'`);
}

function optSynopsis(o: OptDef, used?: string): string {
  const n = used ?? `--${o.long}`;
  return o.value ? `${n} <${o.value}>` : n;
}

function formattedChoices(choices: readonly string[]): string {
  const q = choices.map((c) => `'${c}'`);
  if (q.length <= 2) return `. Please provide one of ${q.join(' and ')}.`;
  return `. Please provide one of ${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}.`;
}

function convert(spec: CommandSpec, o: OptDef, used: string, raw: string): string | number {
  const bad = (): SimExit =>
    err(
      spec,
      `The value '${raw}' is invalid for '${optSynopsis(o, used)}'${o.choices ? formattedChoices(o.choices) : ''}`,
      `${optSynopsis(o, used)}  ${o.help}`,
    );
  if (o.choices) {
    if (!o.choices.includes(raw)) throw bad();
    return raw;
  }
  switch (o.type ?? 'string') {
    case 'string':
      return raw;
    case 'int':
      if (!/^[+-]?\d+$/.test(raw)) throw bad();
      return Number(raw);
    case 'uint':
    case 'uint64':
      if (!/^\+?\d+$/.test(raw) || Number(raw) > Number.MAX_SAFE_INTEGER) throw bad();
      return Number(raw);
    case 'uint16':
      if (!/^\+?\d+$/.test(raw) || Number(raw) > 65535) throw bad();
      return Number(raw);
  }
}

function pad(label: string, text: string): string {
  const col = 26;
  if (label.length + 2 <= col - 2) return `  ${label.padEnd(col - 2)}${text}`;
  return `  ${label}\n${' '.repeat(col)}${text}`;
}

/** `--help` output in ArgumentParser's layout. */
export function helpText(spec: CommandSpec): string {
  const lines: string[] = [];
  if (spec.abstract) lines.push(`OVERVIEW: ${spec.abstract}`, '');
  lines.push(`USAGE: ${USAGES[spec.name] ?? `tart ${spec.name}`}`, '');
  if (spec.args.length) {
    lines.push('ARGUMENTS:');
    for (const a of spec.args) lines.push(pad(`<${a.name}>`, a.help));
    lines.push('');
  }
  lines.push('OPTIONS:');
  for (const o of spec.options) {
    if (o.hidden) continue;
    const names = o.inversion ? `--${o.long}/--no-${o.long}` : [o.short ? `-${o.short}` : null, `--${o.long}`].filter(Boolean).join(', ');
    let text = o.help;
    const extra: string[] = [];
    if (o.choices) extra.push(`values: ${o.choices.join(', ')}`);
    if (o.default !== undefined && o.default !== false) extra.push(`default: ${String(o.default)}`);
    if (extra.length) text += ` (${extra.join('; ')})`;
    lines.push(pad(o.value ? `${names} <${o.value}>` : names, text));
  }
  lines.push(pad('--version', 'Show the version.'));
  lines.push(pad('-h, --help', 'Show help information.'));
  lines.push('');
  return lines.join('\n') + '\n';
}

/** Parse a subcommand's argv (without the subcommand name). Throws SimExit (64, or 0 for --help/--version). */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): Parsed {
  const opts: Record<string, OptValue> = {};
  for (const o of spec.options) {
    if (o.repeating) opts[o.long] = [];
    else if (o.default !== undefined) opts[o.long] = o.default;
    else if (!o.value && !o.inversion) opts[o.long] = false;
  }
  const positionals: string[] = [];
  const passIndex = spec.args.findIndex((a) => a.passthrough);
  let i = 0;
  let terminated = false;
  const byLong = new Map(spec.options.map((o) => [o.long, o] as const));
  const byShort = new Map(spec.options.filter((o) => o.short).map((o) => [o.short as string, o] as const));

  const takeValue = (o: OptDef, used: string, inline: string | undefined): void => {
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-')) {
        throw err(spec, `Missing value for '${optSynopsis(o, used)}'`, `${optSynopsis(o, used)}  ${o.help}`);
      }
      raw = next;
      i++;
    }
    const v = convert(spec, o, used, raw);
    if (o.repeating) (opts[o.long] as string[]).push(String(v));
    else opts[o.long] = v;
  };

  for (; i < argv.length; i++) {
    const tok = argv[i] as string;
    if (passIndex >= 0 && positionals.length >= passIndex) {
      positionals.push(...argv.slice(i));
      break;
    }
    if (terminated || tok === '-' || !tok.startsWith('-')) {
      positionals.push(tok);
      continue;
    }
    if (tok === '--') {
      terminated = true;
      continue;
    }
    if (tok === '--help' || tok === '-h') throw new SimExit(0, '', helpText(spec));
    if (tok === '--version') throw new SimExit(0, '', `${TART_VERSION}\n`);
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = eq >= 0 ? tok.slice(0, eq) : tok;
      const inline = eq >= 0 ? tok.slice(eq + 1) : undefined;
      const long = name.slice(2);
      let o = byLong.get(long);
      let negated = false;
      if (!o && long.startsWith('no-')) {
        const base = byLong.get(long.slice(3));
        if (base?.inversion) {
          o = base;
          negated = true;
        }
      }
      if (!o) throw unknownOption(spec, name);
      if (o.value) takeValue(o, name, inline);
      else {
        if (inline !== undefined) throw err(spec, `The option '${name}' does not take any value, but '${inline}' was specified.`);
        opts[o.long] = !negated;
      }
      continue;
    }
    // Short option(s): -t 5, -q, -it
    const letters = tok.slice(1);
    const first = byShort.get(letters[0] as string);
    if (letters.length > 1 && first?.value) {
      throw err(spec, `Unknown option '${tok}'`);
    }
    if (letters.length === 1) {
      if (!first) throw unknownOption(spec, tok);
      if (first.value) takeValue(first, tok, undefined);
      else opts[first.long] = true;
      continue;
    }
    for (const l of letters) {
      const o = byShort.get(l);
      if (!o || o.value) throw err(spec, `Unknown option '-${l}'`);
      opts[o.long] = true;
    }
  }

  const args: Record<string, string | string[] | undefined> = {};
  let p = 0;
  for (const a of spec.args) {
    if (a.repeating || a.passthrough) {
      const rest = positionals.slice(p);
      p = positionals.length;
      if (rest.length === 0 && !a.optional) throw err(spec, `Missing expected argument '<${a.name}> ...'`, `<${a.name}>  ${a.help}`);
      args[a.name] = rest;
      continue;
    }
    const v = positionals[p];
    if (v === undefined) {
      if (!a.optional) {
        const extra = positionals.slice(p);
        void extra;
        throw err(spec, `Missing expected argument '<${a.name}>'`, `<${a.name}>  ${a.help}`);
      }
      args[a.name] = undefined;
      continue;
    }
    args[a.name] = v;
    p++;
  }
  const extra = positionals.slice(p);
  if (extra.length === 1) throw err(spec, `Unexpected argument '${extra[0]}'`);
  if (extra.length > 1) throw err(spec, `${extra.length} unexpected arguments: '${extra.join("', '")}'`);
  return { args, opts };
}
