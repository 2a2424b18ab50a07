// Pure formatting for the board: column choice by width, cell texts, relative times.
import stringWidth from 'string-width';
import type { VmView, WorktreeChanges } from '../core/model.js';
import type { AgentState, OpState } from './store.js';

export type ColumnId = 'branch' | 'repo' | 'state' | 'phase' | 'agent' | 'ip' | 'changes' | 'lastUsed' | 'disk';

export interface ColumnDef {
  id: ColumnId;
  title: string;
  /** Width the column gets at minimum; extra space goes to flexible columns. */
  min: number;
  max: number;
  /** Lower = dropped first when the terminal is narrow. */
  priority: number;
  align?: 'left' | 'right';
}

export const COLUMNS: readonly ColumnDef[] = [
  { id: 'branch', title: 'BRANCH', min: 15, max: 40, priority: 100 },
  { id: 'state', title: 'VM', min: 9, max: 9, priority: 95 },
  { id: 'agent', title: 'AGENT', min: 10, max: 10, priority: 90 },
  { id: 'phase', title: 'PHASE', min: 14, max: 34, priority: 85 },
  { id: 'changes', title: 'CHANGES', min: 10, max: 14, priority: 60 },
  { id: 'repo', title: 'REPO', min: 8, max: 20, priority: 50 },
  { id: 'ip', title: 'IP', min: 15, max: 15, priority: 40 },
  { id: 'lastUsed', title: 'USED', min: 8, max: 8, priority: 30, align: 'right' },
  { id: 'disk', title: 'DISK', min: 7, max: 7, priority: 20, align: 'right' },
];

/** Columns that fit `width` (1 space between columns, 2 for the selection marker), widths assigned. */
export function layoutColumns(width: number): { def: ColumnDef; width: number }[] {
  const avail = Math.max(0, width - 2);
  const chosen = [...COLUMNS];
  const need = (cols: readonly ColumnDef[]) => cols.reduce((n, c) => n + c.min + 1, 0);
  while (chosen.length > 1 && need(chosen) > avail) {
    let low = 0;
    chosen.forEach((c, i) => {
      if (c.priority < (chosen[low] as ColumnDef).priority) low = i;
    });
    chosen.splice(low, 1);
  }
  let extra = Math.max(0, avail - need(chosen));
  const widths = chosen.map((c) => c.min);
  // Remaining space goes to the flexible columns, most important first (branch, then phase, …).
  const order = chosen.map((_c, i) => i).sort((a, b) => (chosen[b] as ColumnDef).priority - (chosen[a] as ColumnDef).priority);
  for (const i of order) {
    const c = chosen[i] as ColumnDef;
    const give = Math.min(extra, c.max - (widths[i] as number));
    widths[i] = (widths[i] as number) + give;
    extra -= give;
  }
  return chosen.map((def, i) => ({ def, width: widths[i] as number }));
}

const graphemes = new Intl.Segmenter();

/**
 * `text` cut to `width` terminal columns (ending in '…' when cut; wide characters count two) and
 * the spaces still needed to fill the column.
 */
export function fitCell(text: string, width: number): { text: string; pad: number } {
  if (width <= 0) return { text: '', pad: 0 };
  if (/^[\x20-\x7e]*$/.test(text)) {
    return text.length <= width ? { text, pad: width - text.length } : { text: `${text.slice(0, width - 1)}…`, pad: 0 };
  }
  const total = stringWidth(text);
  if (total <= width) return { text, pad: width - total };
  let kept = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    kept += segment;
    used += w;
  }
  return { text: `${kept}…`, pad: width - 1 - used };
}

export function relativeTime(iso: string | null, now: number): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '-';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return 'just now';
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ago`;
  return `${Math.floor(h / 24)}d ago`;
}

export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(s / 3600);
  if (h < 48) return `${h}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

export function changesText(c: WorktreeChanges | null | undefined): string {
  if (c === undefined) return '…';
  if (c === null) return '-';
  const parts: string[] = [c.changed === 0 ? 'clean' : `${c.changed} file${c.changed === 1 ? '' : 's'}`];
  if (c.ahead) parts.push(`↑${c.ahead}`);
  if (c.behind) parts.push(`↓${c.behind}`);
  return parts.join(' ');
}

export function diskText(vm: VmView): string {
  const gb = vm.size_gb ?? vm.disk_gb;
  return gb === null ? '-' : `${gb < 10 ? gb.toFixed(1) : Math.round(gb)}G`;
}

export type Tone = 'ok' | 'warn' | 'error' | 'busy' | 'dim' | 'normal' | 'attention';

export interface PhaseCell {
  text: string;
  tone: Tone;
  spinning: boolean;
}

/** Phase cell: the running action wins, then the recorded provisioning phase. */
export function phaseCell(vm: VmView, op: OpState | undefined, failure: string | undefined, now: number): PhaseCell {
  if (op) {
    const what = op.phase ?? op.kind;
    return { text: `${what} ${elapsed(now - op.startedAt)}`, tone: 'busy', spinning: true };
  }
  if (failure) return { text: `✗ ${failure}`, tone: 'error', spinning: false };
  if (!vm.tracked) return { text: 'untracked', tone: 'dim', spinning: false };
  if (vm.status === 'missing') return { text: 'VM missing', tone: 'error', spinning: false };
  if (vm.provision_result === 'failed' || vm.phase === 'failed') {
    return { text: `failed${vm.phase && vm.phase !== 'failed' ? ` at ${vm.phase}` : ''}: ${vm.provision_error ?? 'see log (l)'}`, tone: 'error', spinning: false };
  }
  if (vm.provision_result === 'running' && vm.phase) return { text: vm.phase, tone: 'busy', spinning: true };
  if (vm.phase === 'ready' || vm.provision_result === 'ok') return { text: 'ready', tone: 'ok', spinning: false };
  if (vm.phase) return { text: vm.phase, tone: 'normal', spinning: false };
  return { text: '-', tone: 'dim', spinning: false };
}

export function stateTone(status: VmView['status']): Tone {
  return status === 'running' ? 'ok' : status === 'suspended' ? 'warn' : status === 'missing' ? 'error' : 'dim';
}

export function agentCell(a: AgentState | 'not running'): { text: string; tone: Tone } {
  switch (a) {
    case 'waiting':
      return { text: '◆ WAITING', tone: 'attention' };
    case 'working':
      return { text: '● working', tone: 'ok' };
    case 'idle':
      return { text: '○ idle', tone: 'normal' };
    default:
      return { text: '- off', tone: 'dim' };
  }
}

export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
export const SPINNER_ASCII = ['|', '/', '-', '\\'];
