// The per-VM log (contracts.md): raw output lines plus whole-line phase markers
// `@@tk phase=<phase> event=start|end result=ok|failed|skipped at=<ISO> [ms=<n>] [msg=<text>]`.
// Pure helpers for writers (engine) and readers (tk logs, dashboard).

export interface PhaseMark {
  phase: string;
  event: 'start' | 'end';
  result: 'ok' | 'failed' | 'skipped' | null;
  at: string | null;
  ms: number | null;
  msg: string | null;
}

const MARK = /^@@tk phase=(\S+) event=(start|end)(?: result=(ok|failed|skipped))?(?: at=(\S+))?(?: ms=(\d+))?(?: msg=(.*))?$/;

export function parsePhaseMark(line: string): PhaseMark | null {
  const m = MARK.exec(line);
  if (!m) return null;
  return {
    phase: m[1] as string,
    event: m[2] as 'start' | 'end',
    result: (m[3] as PhaseMark['result'] | undefined) ?? null,
    at: m[4] ?? null,
    ms: m[5] === undefined ? null : Number(m[5]),
    msg: m[6] ?? null,
  };
}

export function formatPhaseMark(p: PhaseMark): string {
  let s = `@@tk phase=${p.phase} event=${p.event}`;
  if (p.result) s += ` result=${p.result}`;
  if (p.at) s += ` at=${p.at}`;
  if (p.ms !== null) s += ` ms=${p.ms}`;
  if (p.msg) s += ` msg=${p.msg.replace(/[\r\n]+/g, ' ')}`;
  return s;
}

/** Removes terminal control sequences and C0 controls (except tab): the guest writes these logs. */
export function sanitizeForTerminal(line: string): string {
  return line
    .replace(/\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g, '') // OSC (titles, clipboard, links)
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '') // CSI
    .replace(/\u001b[@-Z\\-_]/g, '') // other ESC sequences
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f]/g, '');
}

/** Human rendering of one log line: markers as `── phase …` lines, output sanitised. */
export function renderLogLine(line: string): string {
  const p = parsePhaseMark(line);
  if (!p) return sanitizeForTerminal(line);
  const time = p.at ? p.at.slice(11, 19) : '';
  const head = `── ${time ? `${time} ` : ''}${sanitizeForTerminal(p.phase)}`;
  if (p.event === 'start') return `${head} started${p.msg ? `: ${sanitizeForTerminal(p.msg)}` : ''}`;
  return `${head} ${p.result ?? 'done'}${p.ms !== null ? ` (${p.ms} ms)` : ''}${p.msg ? `: ${sanitizeForTerminal(p.msg)}` : ''}`;
}
