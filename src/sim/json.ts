// JSON the way Apple's JSONEncoder(.prettyPrinted) writes it: two-space indent, `"Key" : value`,
// forward slashes escaped (`\/`), empty containers as `[\n\n]` / `{\n\n}`.
// TART_SIM_JSON_SHUFFLE=1 shuffles object key order (Tart makes no key-order promise).

function escapeString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '/') out += '\\/';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

function shuffled<T>(a: T[]): T[] {
  const r = a.slice();
  for (let i = r.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [r[i], r[j]] = [r[j] as T, r[i] as T];
  }
  return r;
}

function render(v: unknown, indent: string, shuffle: boolean): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return escapeString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return `[\n\n${indent}]`;
    return `[\n${v.map((x) => inner + render(x, inner, shuffle)).join(',\n')}\n${indent}]`;
  }
  let keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
  if (shuffle) keys = shuffled(keys);
  if (keys.length === 0) return `{\n\n${indent}}`;
  const obj = v as Record<string, unknown>;
  return `{\n${keys.map((k) => `${inner}${escapeString(k)} : ${render(obj[k], inner, shuffle)}`).join(',\n')}\n${indent}}`;
}

/** Apple-style pretty JSON (no trailing newline, like JSONEncoder's output). */
export function appleJson(v: unknown, opts: { shuffle?: boolean } = {}): string {
  const shuffle = opts.shuffle ?? process.env['TART_SIM_JSON_SHUFFLE'] === '1';
  return render(v, '', shuffle);
}
