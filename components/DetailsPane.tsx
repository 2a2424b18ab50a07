import { Box, Text } from 'ink';
import type { VmDetails, VmView, WorktreeChanges } from '../src/core/model.js';
import { changesText, elapsed } from '../src/tui/format.js';

export interface DetailsPaneProps {
  vm: VmView | null;
  details: VmDetails | null;
  changes: WorktreeChanges | null | undefined;
  agent: string;
  now: number;
  height: number;
  width: number;
}

function Field({ label, value }: { label: string; value: string }) {
  return (
    <Box height={1} overflow="hidden" paddingRight={2}>
      <Box width={12} flexShrink={0}>
        <Text dimColor>{label}</Text>
      </Box>
      <Text wrap="truncate-middle">{value}</Text>
    </Box>
  );
}

export function DetailsPane({ vm, details, changes, agent, now, height, width }: DetailsPaneProps) {
  if (!vm) {
    return (
      <Box height={height} width={width} borderStyle="single" borderTop borderBottom={false} borderLeft={false} borderRight={false}>
        <Text dimColor>No VM selected. Press n to spawn one.</Text>
      </Box>
    );
  }
  const cpuMem =
    details && (details.cpu !== null || details.memory_mb !== null)
      ? `${details.cpu ?? '?'} CPU, ${details.memory_mb === null ? '?' : `${Math.round(details.memory_mb / 102.4) / 10} GB`} memory`
      : '-';
  const uptime = vm.status === 'running' && details?.started_at ? elapsed(now - Date.parse(details.started_at)) : vm.status === 'running' ? '-' : `(${vm.status})`;
  const prov =
    vm.provision_result === 'failed'
      ? `failed${vm.phase ? ` at ${vm.phase}` : ''}: ${vm.provision_error ?? 'see the log (l)'}`
      : vm.provision_result === 'ok'
        ? 'ok'
        : vm.provision_result === 'running'
          ? `running (${vm.phase ?? '?'})`
          : '-';
  const fields: [string, string][] = [
    ['VM', `${vm.name}${vm.tracked ? '' : '  (untracked: not in tk state)'}`],
    ['worktree', vm.worktree ?? '-'],
    ['IP', vm.ip ?? '-'],
    ['image', details?.base_image ?? '-'],
    ['resources', cpuMem],
    ['uptime', uptime],
    ['provision', prov],
    ['changes', changesText(changes)],
    ['agent', agent],
  ];
  const inner = Math.max(0, height - 1);
  // Two columns when wide enough, so the pane stays short.
  const twoCols = width >= 100;
  const rows = twoCols ? Math.ceil(fields.length / 2) : fields.length;
  const left = fields.slice(0, rows).slice(0, inner);
  const right = twoCols ? fields.slice(rows).slice(0, inner) : [];
  return (
    <Box flexDirection="column" height={height} width={width} overflow="hidden">
      <Box height={1}>
        <Text dimColor>{'─'.repeat(Math.max(0, width))}</Text>
      </Box>
      <Box flexDirection="row">
        <Box flexDirection="column" width={twoCols ? Math.floor(width / 2) : width}>
          {left.map(([l, v]) => (
            <Field key={l} label={l} value={v} />
          ))}
        </Box>
        {twoCols && (
          <Box flexDirection="column" width={width - Math.floor(width / 2)}>
            {right.map(([l, v]) => (
              <Field key={l} label={l} value={v} />
            ))}
          </Box>
        )}
      </Box>
    </Box>
  );
}
