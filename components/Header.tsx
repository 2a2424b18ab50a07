import { Box, Text } from 'ink';
import { toneStyle, useTheme } from '../hooks/useTheme.js';

export interface HeaderProps {
  counts: { running: number; suspended: number; stopped: number; missing: number; untracked: number; waiting: number; total: number };
  freeDiskGb: number | null;
  sort: string;
  filter: string;
  filtering: boolean;
  group: boolean;
  warning: string | null;
  width: number;
}

export function Header(p: HeaderProps) {
  const theme = useTheme();
  const c = p.counts;
  const parts = [`${c.running} running`, `${c.suspended} suspended`, `${c.stopped} stopped`];
  if (c.missing) parts.push(`${c.missing} missing`);
  if (c.untracked) parts.push(`${c.untracked} untracked`);
  const disk = p.freeDiskGb === null ? '' : `  disk free ${Math.round(p.freeDiskGb)}G`;
  return (
    <Box flexDirection="column" width={p.width}>
      <Box height={1} overflow="hidden">
        <Text wrap="truncate-end">
          <Text bold>tk</Text>
          <Text> {c.total} VMs: {parts.join(' · ')}</Text>
          {c.waiting > 0 && <Text {...toneStyle(theme, 'attention')}> · {c.waiting} waiting for input</Text>}
          <Text dimColor>{disk}  sort: {p.sort}{p.group ? '  grouped by repo' : ''}</Text>
          {(p.filter || p.filtering) && (
            <Text>
              {'  '}filter: <Text bold>{p.filter}</Text>
              {p.filtering ? '▏' : ''}
            </Text>
          )}
        </Text>
      </Box>
      {p.warning !== null && (
        <Box height={1} overflow="hidden">
          <Text wrap="truncate-end" {...toneStyle(theme, 'warn')}>
            ⚠ {p.warning}
          </Text>
        </Box>
      )}
    </Box>
  );
}
