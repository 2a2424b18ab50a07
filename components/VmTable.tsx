// The VM grid: fixed column widths, one line per VM (a single <Text> of coloured spans),
// truncation instead of wrapping, memoized rows. See docs/dashboard.md for why not ink-table.
import { Box, Text } from 'ink';
import { Fragment, memo } from 'react';
import type { VmView, WorktreeChanges } from '../src/core/model.js';
import type { ColumnDef, ColumnId, PhaseCell, Tone } from '../src/tui/format.js';
import { agentCell, changesText, diskText, elapsed, fitCell, phaseCell, relativeTime, SPINNER, SPINNER_ASCII, stateTone } from '../src/tui/format.js';
import type { AgentState, OpState } from '../src/tui/store.js';
import { useSpinner } from '../hooks/useSpinner.js';
import { toneStyle, useTheme } from '../hooks/useTheme.js';
import { paint, type Style } from '../src/tui/ansi.js';

export interface TableColumn {
  def: ColumnDef;
  width: number;
}

export interface VmRowProps {
  vm: VmView;
  changes: WorktreeChanges | null | undefined;
  agent: AgentState | 'not running';
  op: OpState | undefined;
  failure: string | undefined;
  selected: boolean;
  now: number;
  columns: readonly TableColumn[];
}

/** One column: its text cut or padded to the column's width and coloured, then the one-space gap. */
function cellText(width: number, text: string, style: Style, align: 'left' | 'right' | undefined, selected: boolean): string {
  const fit = fitCell(text, width);
  const pad = ' '.repeat(fit.pad);
  // The selected row is one continuous inverse bar; other rows colour only the text.
  const plain: Style = { inverse: selected };
  const body = paint(fit.text, { ...style, inverse: selected });
  return align === 'right' ? paint(pad, plain) + body + paint(' ', plain) : body + paint(`${pad} `, plain);
}

/** The phase cell: a spinning phase gets the shared spinner frame (and the action's elapsed time). */
function phaseText(p: VmRowProps, base: PhaseCell, spinnerFrame: number, ascii: boolean): { text: string; tone: Tone } {
  if (!base.spinning) return base;
  const frames = ascii ? SPINNER_ASCII : SPINNER;
  const label = p.op ? `${p.op.phase ?? p.op.kind} ${elapsed(Date.now() - p.op.startedAt)}` : base.text;
  return { text: `${frames[spinnerFrame % frames.length]} ${label}`, tone: base.tone };
}

function cellFor(id: ColumnId, p: VmRowProps, phase: { text: string; tone: Tone }): { text: string; tone: Tone } {
  const { vm } = p;
  switch (id) {
    case 'branch':
      return { text: vm.branch ?? vm.name, tone: vm.tracked ? 'normal' : 'dim' };
    case 'repo':
      return { text: vm.repo ?? '-', tone: vm.tracked ? 'normal' : 'dim' };
    case 'state':
      // A spawn whose VM tk has not recorded yet (placeholder row named "spawn:<branch>").
      if (vm.name.startsWith('spawn:')) return { text: 'creating', tone: 'busy' };
      return { text: vm.status, tone: stateTone(vm.status) };
    case 'agent':
      return agentCell(p.agent);
    case 'ip':
      return { text: vm.ip ?? '-', tone: vm.ip ? 'normal' : 'dim' };
    case 'changes':
      return { text: vm.worktree ? changesText(p.changes) : '-', tone: p.changes && p.changes.changed > 0 ? 'warn' : 'normal' };
    case 'lastUsed':
      return { text: relativeTime(vm.last_used, p.now), tone: 'dim' };
    case 'disk':
      return { text: diskText(vm), tone: 'normal' };
    case 'phase':
      return phase;
  }
}

/**
 * One board line. It is a single <Text> holding one pre-styled string rather than a Box or a
 * nested <Text> per cell: Ink then lays out, walks and squashes one node per row instead of ~25,
 * which was most of a frame's cost on a full board (docs/dashboard.md, Performance).
 */
export const VmRow = memo(function VmRow(p: VmRowProps) {
  const theme = useTheme();
  const base = phaseCell(p.vm, p.op, p.failure, p.now);
  const frame = useSpinner(base.spinning);
  const phase = phaseText(p, base, frame, theme.ascii);
  const waiting = p.agent === 'waiting';
  const marker = p.selected ? (theme.ascii ? '>' : '›') : waiting ? '!' : ' ';
  let line = paint(`${marker} `, { bold: true, inverse: p.selected, ...(waiting && !p.selected ? toneStyle(theme, 'attention') : {}) });
  for (const c of p.columns) {
    const { text, tone } = cellFor(c.def.id, p, phase);
    line += cellText(c.width, text, toneStyle(theme, tone), c.def.align, p.selected);
  }
  return <Text wrap="truncate-end">{line}</Text>;
});

export interface VmTableRow extends Omit<VmRowProps, 'columns'> {
  /** Repository heading drawn above this row (grouped view). */
  heading?: string;
}

const HEAD_STYLE: Style = { bold: true, underline: true };

export interface VmTableProps {
  columns: readonly TableColumn[];
  rows: readonly VmTableRow[];
  /** Lines available for rows (headings included). */
  height: number;
  /** Shown when there are no rows. */
  empty: string;
}

export function VmTable({ columns, rows, height, empty }: VmTableProps) {
  return (
    <Box flexDirection="column" height={height + 1} overflow="hidden">
      <Text wrap="truncate-end">{`  ${columns.map((c) => cellText(c.width, c.def.title, HEAD_STYLE, c.def.align, false)).join('')}`}</Text>
      {rows.length === 0 ? (
        <Box paddingLeft={2}>
          <Text dimColor>{empty}</Text>
        </Box>
      ) : (
        rows.map(({ heading, ...r }) => (
          <Fragment key={r.vm.name}>
            {heading !== undefined && (
              <Text bold wrap="truncate-end">
                {' '}▸ {heading}
              </Text>
            )}
            <VmRow {...r} columns={columns} />
          </Fragment>
        ))
      )}
    </Box>
  );
}
