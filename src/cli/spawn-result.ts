// Human text of a spawn/resume/provision result: what ran, and apart from it what was skipped (and why).
import type { SpawnResult } from '../core/model.js';

export const VERB: Record<SpawnResult['kind'], string> = { created: 'Created', started: 'Started', resumed: 'Resumed', reconnected: 'Reconnected to' };

/** `  provisioned: a, b` and `  skipped: c (why)` lines; each only when it has steps. */
export function provisionLines(r: Pick<SpawnResult, 'provisioned' | 'skipped'>): string {
  let text = '';
  if (r.provisioned.length > 0) text += `  provisioned: ${r.provisioned.join(', ')}\n`;
  if (r.skipped.length > 0) text += `  skipped: ${r.skipped.map((s) => `${s.step} (${s.reason})`).join('; ')}\n`;
  return text;
}

/** `tk spawn`: `Created NAME (IP) for branch B`, the worktree, the steps. */
export function spawnText(r: SpawnResult): string {
  return `${VERB[r.kind]} ${r.name} (${r.ip}) for branch ${r.branch}\n  worktree: ${r.worktree}\n${provisionLines(r)}`;
}

/** `tk resume` / `tk provision`: the command's headline, then how the VM came up and the steps. */
export function bringUpText(headline: string, r: SpawnResult): string {
  const how = r.kind === 'reconnected' ? 'already running' : r.kind;
  return `${headline} (${r.ip}, ${how}) for branch ${r.branch}\n  worktree: ${r.worktree}\n${provisionLines(r)}`;
}
