// Readable text for tool results. Structured content carries the same data for programs; this is
// what a model or a person reads.
import type { DestroyPlan, DestroyReport, PrPlan, PrResult, SpawnResult, VmView } from '../core/model.js';

const OUTCOME: Record<SpawnResult['kind'], string> = {
  created: 'Created',
  started: 'Started',
  resumed: 'Resumed',
  reconnected: 'Reconnected to',
};

export function spawnText(r: SpawnResult): string {
  const lines = [`${OUTCOME[r.kind]} VM ${r.name} (ip ${r.ip})`, `branch: ${r.branch}`, `worktree: ${r.worktree}`];
  if (r.provisioned.length > 0) lines.push(`provisioned: ${r.provisioned.join(', ')}`);
  for (const k of r.skipped) lines.push(`skipped: ${k.step} (${k.reason})`);
  return lines.join('\n');
}

function gb(n: number | null): string {
  return n === null ? '-' : `${n} GB`;
}

export function vmText(v: VmView): string {
  const rows: [string, string][] = [
    ['name', v.name],
    ['status', v.tracked ? v.status : `${v.status} (not tracked by tk)`],
    ['ip', v.ip ?? '-'],
    ['repo', v.repo ?? '-'],
    ['branch', v.branch ?? '-'],
    ['worktree', v.worktree ?? '-'],
    ['disk', `${gb(v.size_gb)} used of ${gb(v.disk_gb)}`],
    ['created', v.created_at ?? '-'],
    ['last used', v.last_used ?? '-'],
  ];
  if (v.phase !== null) rows.push(['phase', v.phase]);
  if (v.provision_result != null) rows.push(['provisioning', v.provision_result]);
  if (v.provision_error !== null) rows.push(['provision error', v.provision_error]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, val]) => `${`${k}:`.padEnd(w + 2)}${val}`).join('\n');
}

export function listText(vms: VmView[]): string {
  if (vms.length === 0) return 'No VMs. Create one with the spawn tool.';
  const header = ['NAME', 'STATUS', 'IP', 'BRANCH', 'WORKTREE'];
  const rows = vms.map((v) => [v.name, v.tracked ? v.status : `${v.status}*`, v.ip ?? '-', v.branch ?? '-', v.worktree ?? '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const out = [fmt(header), ...rows.map(fmt)];
  if (vms.some((v) => !v.tracked)) out.push('* a tachikoma-* VM in Tart that tk does not track');
  return out.join('\n');
}

/** Why destroy refused, and exactly what it would remove. */
export function destroyRefusalText(p: DestroyPlan): string {
  const lines = [`Not destroyed: destroy needs confirm: true. Destroying ${p.name} would remove:`];
  lines.push(p.vmExists ? `- the VM ${p.name}${p.diskSizeGb === null ? '' : ` (${p.diskSizeGb} GB on disk)`}` : `- nothing in Tart (the VM ${p.name} no longer exists)`);
  if (p.worktree !== null) {
    if (p.worktreeIsMain) lines.push(`- nothing of ${p.worktree}: it is the main checkout and is always kept`);
    else lines.push(`- the worktree ${p.worktree}${p.branch === null ? '' : ` (branch ${p.branch}; the branch itself is kept)`}`);
  }
  lines.push('- its entry in tk state and its log');
  const risky: string[] = [];
  if (p.uncommittedChanges > 0) risky.push(`${p.uncommittedChanges} uncommitted change${p.uncommittedChanges === 1 ? '' : 's'}`);
  if (p.unpushedCommits > 0) risky.push(`${p.unpushedCommits} unpushed commit${p.unpushedCommits === 1 ? '' : 's'}`);
  if (risky.length > 0 && p.worktree !== null && !p.worktreeIsMain) {
    lines.push(`The worktree has ${risky.join(' and ')}. Without discard_changes: true they are kept (the worktree is not removed); with it they are lost.`);
  }
  lines.push('To proceed, call destroy again with confirm: true.');
  return lines.join('\n');
}

export function destroyText(r: DestroyReport): string {
  const lines = [`Destroyed ${r.name}.`];
  lines.push(r.vmDeleted ? '- VM deleted' : '- no VM to delete');
  lines.push(r.worktreeRemoved ? '- worktree removed' : `- worktree kept${r.worktreeKeptReason ? `: ${r.worktreeKeptReason}` : ''}`);
  if (r.stateRemoved) lines.push('- state entry removed');
  if (r.logsRemoved) lines.push('- logs removed');
  return lines.join('\n');
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** Why pr refused, and what it would do with confirm: true (null plan: the service cannot tell). */
export function prRefusalText(name: string, p: PrPlan | null): string {
  const lines = ['Nothing committed or pushed: pr needs confirm: true (it commits, pushes to GitHub and opens a PR).'];
  if (p === null) {
    lines.push(`With confirm: true, pr would commit the pending changes of ${name}, push its branch and run gh pr create --fill.`);
    lines.push('To proceed, call pr again with confirm: true.');
    return lines.join('\n');
  }
  const changes = p.uncommittedChanges === null || p.unpushedCommits === null ? null : { files: p.uncommittedChanges, commits: p.unpushedCommits };
  const state = changes === null ? 'git could not read the worktree' : `the worktree has ${count(changes.files, 'changed file')} and ${count(changes.commits, 'unpushed commit')}`;
  if (p.pushRefused !== null) {
    lines.push(`With confirm: true, pr would refuse to push branch ${p.branch} of ${p.name}: ${p.pushRefused}`, `(${state}; nothing would be committed)`);
    return lines.join('\n');
  }
  if (changes === null) {
    lines.push(`With confirm: true, pr would fail: ${state} (${p.worktree}).`);
    return lines.join('\n');
  }
  if (changes.files === 0 && changes.commits === 0) {
    lines.push(`With confirm: true, pr would do nothing: ${state} (it fails with "Nothing to commit").`);
    return lines.join('\n');
  }
  lines.push(`With confirm: true, pr would, on the host in the worktree ${p.worktree} (the VM is not touched):`);
  if (changes.files > 0) lines.push(`- commit ${count(changes.files, 'changed file')} as "chore: Claude changes on ${p.branch}" (hooks disabled)`);
  lines.push(`- push branch ${p.branch} (${count(changes.commits, 'unpushed commit')}${changes.files > 0 ? ' plus that commit' : ''}) to ${p.pushUrl ?? '-'}`);
  lines.push(`- open a pull request with gh pr create --fill${p.githubHost ? ` on ${p.githubHost}` : ''}`);
  lines.push('To proceed, call pr again with confirm: true.');
  return lines.join('\n');
}

export function prText(name: string, r: PrResult): string {
  const lines = [`PR created for ${name}: ${r.url}`];
  lines.push(r.committed ? '- pending changes committed' : '- no new commit (only unpushed commits)');
  if (r.branch !== undefined) lines.push(`- branch ${r.branch} pushed${r.pushed_to === undefined ? '' : ` to ${r.pushed_to}`}`);
  return lines.join('\n');
}

export function execText(r: { exit_code: number; stdout: string; stderr: string; timed_out: boolean; truncated: boolean }): string {
  const parts = [r.timed_out ? `exit code: ${r.exit_code} (timed out)` : `exit code: ${r.exit_code}`];
  if (r.stdout.length > 0) parts.push(`stdout:\n${r.stdout}`);
  if (r.stderr.length > 0) parts.push(`stderr:\n${r.stderr}`);
  if (r.truncated) parts.push('(output truncated: only the end of each stream is kept)');
  return parts.join('\n');
}
