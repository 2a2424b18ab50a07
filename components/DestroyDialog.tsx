import { Box, Text } from 'ink';
import type { DestroyPlan } from '../src/core/model.js';
import { toneStyle, useTheme } from '../hooks/useTheme.js';

export interface DestroyDialogProps {
  name: string;
  plan: DestroyPlan | null;
  error: string | null;
  width: number;
}

export function destroyConsequences(plan: DestroyPlan): string[] {
  const out: string[] = [];
  out.push(plan.vmExists ? `delete VM ${plan.name}${plan.diskSizeGb !== null ? ` (${plan.diskSizeGb} GB disk)` : ''}` : `VM ${plan.name} is already gone; forget its record`);
  if (plan.worktree) {
    out.push(plan.worktreeIsMain ? `keep ${plan.worktree} (main checkout, never removed)` : `remove worktree ${plan.worktree}`);
  }
  if (plan.uncommittedChanges > 0) out.push(`LOSE ${plan.uncommittedChanges} uncommitted change${plan.uncommittedChanges === 1 ? '' : 's'}`);
  if (plan.unpushedCommits > 0) out.push(`LOSE ${plan.unpushedCommits} unpushed commit${plan.unpushedCommits === 1 ? '' : 's'} on ${plan.branch ?? 'the branch'}`);
  out.push('remove its log and state; the branch itself is kept');
  return out;
}

export function DestroyDialog({ name, plan, error, width }: DestroyDialogProps) {
  const theme = useTheme();
  const risky = plan !== null && (plan.uncommittedChanges > 0 || plan.unpushedCommits > 0);
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} width={Math.min(width, 90)}>
      <Text bold {...toneStyle(theme, 'error')}>
        Destroy {name}?
      </Text>
      {error !== null ? (
        <Text {...toneStyle(theme, 'error')}>Could not compute what would be removed: {error}</Text>
      ) : plan === null ? (
        <Text dimColor>Checking what would be removed…</Text>
      ) : (
        destroyConsequences(plan).map((c) => (
          <Text key={c} {...(c.startsWith('LOSE') ? toneStyle(theme, 'error') : {})}>
            • {c}
          </Text>
        ))
      )}
      <Text> </Text>
      <Text>
        {plan === null ? (
          <Text dimColor>Esc cancel</Text>
        ) : (
          <>
            <Text bold>y</Text> destroy{risky ? ' and discard the changes' : ''} · <Text bold>n</Text>/Esc cancel
          </>
        )}
      </Text>
    </Box>
  );
}
