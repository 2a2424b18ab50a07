// Human and JSON rendering. With --json, stdout carries exactly one JSON document (keys sorted,
// as tachikoma prints them); everything else (progress, warnings, errors in words) goes to stderr.
import { formatError, type TkError } from '../core/errors.js';
import type { CliIo } from './command.js';

export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

export function toJson(v: unknown): string {
  return JSON.stringify(sortKeys(v), null, 2) + '\n';
}

/** Left-aligned columns, two spaces apart, a dashes line under the header (tachikoma's table). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

function humanValue(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export class Output {
  private jsonWritten = false;
  private textWritten = false;

  /** Whether anything was written to stdout through this Output. */
  get wroteStdout(): boolean {
    return this.jsonWritten || this.textWritten;
  }

  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
    private readonly quiet: boolean,
    private readonly verbose: boolean,
  ) {}

  /** Whether the one JSON document was already written. */
  get wroteJson(): boolean {
    return this.jsonWritten;
  }

  /** Writes the command's JSON document (once). */
  document(doc: unknown): void {
    if (this.jsonWritten) throw new Error('internal: a second JSON document');
    this.jsonWritten = true;
    this.io.stdout.write(toJson(doc));
  }

  /**
   * A success result. JSON: `{"data": …, "message": …, "success": true}` (tachikoma's envelope).
   * Human: `human` if given, else the message and one `  key: value` line per data field.
   */
  success(message: string, data: unknown = null, human?: string): void {
    if (this.json) {
      this.document({ data: data ?? null, message, success: true });
      return;
    }
    if (human !== undefined) {
      this.io.stdout.write(human.endsWith('\n') || human === '' ? human : human + '\n');
      return;
    }
    let text = message + '\n';
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      for (const [k, v] of Object.entries(data)) text += `  ${k}: ${humanValue(v)}\n`;
    }
    this.io.stdout.write(text);
  }

  /** Raw stdout text (human mode only: callers use document()/success() for --json). */
  text(s: string): void {
    this.textWritten = true;
    this.io.stdout.write(s);
  }

  /** A status line on stderr (suppressed by -q). */
  info(message: string): void {
    if (!this.quiet) this.io.stderr.write(message + '\n');
  }

  /** Detail shown with -v only. */
  debug(message: string): void {
    if (this.verbose) this.io.stderr.write(message + '\n');
  }

  warn(message: string): void {
    this.io.stderr.write(`warning: ${message}\n`);
  }

  /** Prints an error: words on stderr; with --json also the error document on stdout (if none was written). */
  error(e: TkError): void {
    this.io.stderr.write(`error: ${formatError(e).replace(/\n/g, '\n  ')}\n`);
    if (this.json && !this.jsonWritten) {
      this.document({ code: e.code, error: e.message, exit_code: e.exitCode, hint: e.hint ?? null, success: false });
    }
  }
}
