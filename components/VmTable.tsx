// The VM grid. A Box-based table (fixed column widths, one line per VM, truncation instead of
// wrapping, per-cell colour, memoized rows). See docs/dashboard.md for why not ink-table.
import { Box, Text } from 'ink';
import { memo } from 'react';
import type { VmView, WorktreeChanges } from '../src/core/model.js';
import type { ColumnDef, ColumnId, Tone } from '../src/tui/format.js';
import { agentCell, changesText, diskText, elapsed, phaseCell, relativeTime, SPINNER, SPINNER_ASCII, stateTone } from '../src/tui/format.js';
import type { AgentState, OpState } from '../src/tui/store.js';
import { useSpinner } from '../hooks/useSpinner.js';
import { toneStyle, useTheme } from '../hooks/useTheme.js';

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

function Cell({ width, text, tone, align, inverse }: { width: number; text: string; tone: Tone; align?: 'left' | 'right'; inverse: boolean }) {
  const theme = useTheme();
  const style = toneStyle(theme, tone);
  return (
    <Box width={width} flexShrink={0} marginRight={1} justifyContent={align === 'right' ? 'flex-end' : 'flex-start'}>
      <Text wrap="truncate-end" inverse={inverse} {...style}>
        {text}
      </Text>
    </Box>
  );
}

function PhaseText({ width, vm, op, failure, now, inverse }: { width: number; vm: VmView; op: OpState | undefined; failure: string | undefined; now: number; inverse: boolean }) {
  const theme = useTheme();
  const base = phaseCell(vm, op, failure, now);
  const frame = useSpinner(base.spinning);
  let text = base.text;
  if (base.spinning) {
    const frames = theme.ascii ? SPINNER_ASCII : SPINNER;
    const label = op ? `${op.phase ?? op.kind} ${elapsed(Date.now() - op.startedAt)}` : base.text;
    text = `${frames[frame % frames.length]} ${label}`;
  }
  return <Cell width={width} text={text} tone={base.tone} inverse={inverse} />;
}

function cellFor(id: ColumnId, p: VmRowProps): { text: string; tone: Tone } {
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
      return { text: '', tone: 'normal' };
  }
}

export const VmRow = memo(function VmRow(p: VmRowProps) {
  const theme = useTheme();
  const waiting = p.agent === 'waiting';
  const marker = p.selected ? (theme.ascii ? '>' : '›') : waiting ? '!' : ' ';
  return (
    <Box flexDirection="row" height={1} overflow="hidden">
      <Box width={2} flexShrink={0}>
        <Text bold inverse={p.selected} {...(waiting && !p.selected ? toneStyle(theme, 'attention') : {})}>
          {marker}
          {' '}
        </Text>
      </Box>
      {p.columns.map((c) =>
        c.def.id === 'phase' ? (
          <PhaseText key="phase" width={c.width} vm={p.vm} op={p.op} failure={p.failure} now={p.now} inverse={p.selected} />
        ) : (
          <Cell key={c.def.id} width={c.width} align={c.def.align} inverse={p.selected} {...cellFor(c.def.id, p)} />
        ),
      )}
    </Box>
  );
});

export interface VmTableRow extends Omit<VmRowProps, 'columns'> {
  /** Repository heading drawn above this row (grouped view). */
  heading?: string;
}

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
      <Box flexDirection="row" height={1}>
        <Box width={2} flexShrink={0} />
        {columns.map((c) => (
          <Box key={c.def.id} width={c.width} flexShrink={0} marginRight={1} justifyContent={c.def.align === 'right' ? 'flex-end' : 'flex-start'}>
            <Text bold underline wrap="truncate-end">
              {c.def.title}
            </Text>
          </Box>
        ))}
      </Box>
      {rows.length === 0 ? (
        <Box paddingLeft={2}>
          <Text dimColor>{empty}</Text>
        </Box>
      ) : (
        rows.map(({ heading, ...r }) => (
          <Box key={r.vm.name} flexDirection="column">
            {heading !== undefined && (
              <Box height={1} paddingLeft={1}>
                <Text bold>▸ {heading}</Text>
              </Box>
            )}
            <VmRow {...r} columns={columns} />
          </Box>
        ))
      )}
    </Box>
  );
}
