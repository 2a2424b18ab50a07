import { Box, Text } from 'ink';
import { renderLogLine } from '../src/core/log-format.js';
import type { LogState } from '../src/tui/store.js';
import { toneStyle, useTheme } from '../hooks/useTheme.js';

export interface LogPaneProps {
  log: LogState;
  height: number;
  width: number;
  title: string;
}

/** Visible slice of the log: follow shows the end; otherwise from `offset`. */
export function logWindow(log: LogState, bodyRows: number): { start: number; lines: readonly string[] } {
  const total = log.lines.length;
  const start = log.follow ? Math.max(0, total - bodyRows) : Math.min(log.offset, Math.max(0, total - 1));
  return { start, lines: log.lines.slice(start, start + bodyRows) };
}

function Highlight({ line, search }: { line: string; search: string }) {
  if (!search) return <Text wrap="truncate-end">{line}</Text>;
  const i = line.toLowerCase().indexOf(search.toLowerCase());
  if (i < 0) return <Text wrap="truncate-end">{line}</Text>;
  return (
    <Text wrap="truncate-end">
      {line.slice(0, i)}
      <Text inverse>{line.slice(i, i + search.length)}</Text>
      {line.slice(i + search.length)}
    </Text>
  );
}

export function LogPane({ log, height, width, title }: LogPaneProps) {
  const theme = useTheme();
  const phases = log.phases;
  const summaryRows = phases.length > 0 ? 2 : 0;
  const bodyRows = Math.max(1, height - 2 - summaryRows);
  const { start, lines } = logWindow(log, bodyRows);
  const status = log.follow ? 'following' : `line ${start + 1}/${log.lines.length}${log.unseen ? `, ${log.unseen} new: End to follow` : ''}`;
  return (
    <Box flexDirection="column" height={height} width={width} overflow="hidden">
      <Box height={1} overflow="hidden">
        <Text wrap="truncate-end" dimColor>
          {'── '}
          <Text bold>{title}</Text> ── {status}
          {log.truncated ? ' ── earlier lines not loaded' : ''}
          {log.searching ? '' : log.search ? ` ── /${log.search} (n/N)` : ''} ──────────────────────────────────────────────
        </Text>
      </Box>
      {summaryRows > 0 && (
        <Box height={2} overflow="hidden">
          <Text wrap="wrap">
            {phases.map((p, i) => (
              <Text key={p.phase + i} {...toneStyle(theme, p.result === 'ok' ? 'ok' : p.result === 'failed' ? 'error' : p.result === 'running' ? 'busy' : 'dim')}>
                {p.result === 'ok' ? '✓' : p.result === 'failed' ? '✗' : p.result === 'running' ? '…' : '-'}
                {p.phase}
                {p.ms !== null && (p.ms >= 1000 || p.result !== 'ok') ? ` ${(p.ms / 1000).toFixed(1)}s` : ''}
                {p.result === 'failed' && p.msg ? ` (${p.msg})` : ''}
                {'  '}
              </Text>
            ))}
          </Text>
        </Box>
      )}
      <Box flexDirection="column" height={bodyRows} overflow="hidden">
        {lines.length === 0 ? (
          <Text dimColor>(log is empty)</Text>
        ) : (
          lines.map((l, i) => (
            <Box key={start + i} height={1} overflow="hidden">
              {l.startsWith('@@tk ') ? (
                <Text wrap="truncate-end" dimColor>
                  {renderLogLine(l)}
                </Text>
              ) : (
                <Highlight line={l} search={log.search} />
              )}
            </Box>
          ))
        )}
      </Box>
      <Box height={1} overflow="hidden">
        {log.searching ? (
          <Text>
            search: <Text bold>{log.search}</Text>▏<Text dimColor> Enter find · Esc cancel</Text>
          </Text>
        ) : (
          <Text dimColor wrap="truncate-end">
            ↑↓ PgUp/PgDn scroll · End follow · / search · n/N next/prev · l or Esc close
          </Text>
        )}
      </Box>
    </Box>
  );
}
