import { sanitizeForTerminal } from '../../core/log-format.js';
import type { VmView } from '../../core/model.js';
import { formatUtcMinute } from '../../core/views.js';
import { defineCommand } from '../command.js';
import { notFound, readViews, resolveName } from '../local.js';

function humanStatus(v: VmView): string {
  const rows: Array<[string, string]> = [
    ['Name', v.name],
    ['Repo', v.repo ?? '-'],
    ['Branch', v.branch ?? '-'],
    ['Status', v.tracked ? v.status : `${v.status} (not tracked by tk)`],
    ['IP', v.ip ?? '-'],
    ['Worktree', v.worktree ?? '-'],
    ['Created', formatUtcMinute(v.created_at)],
    ['Last used', formatUtcMinute(v.last_used)],
    ['Disk', v.disk_gb === null ? '-' : `${v.disk_gb} GB (${v.size_gb ?? '?'} GB allocated)`],
    ['Phase', v.phase === null ? '-' : `${v.phase}${v.provision_result ? ` (${v.provision_result})` : ''}`],
  ];
  // The error can quote guest output: no control sequences on the user's terminal.
  if (v.provision_error) rows.push(['Error', sanitizeForTerminal(v.provision_error)]);
  return rows.map(([k, val]) => `${`${k}:`.padEnd(11)}${val}`).join('\n') + '\n';
}

export default defineCommand({
  name: 'status',
  summary: "Show one VM's details",
  usage: 'status [NAME]',
  positionals: [{ name: 'NAME', description: "VM name (default: the current branch's VM)" }],
  examples: ['tk status', 'tk status tachikoma-myapp-main --json'],
  async run(ctx, args) {
    const name = await resolveName(ctx, args.positionals[0]);
    const view = (await readViews(ctx)).find((v) => v.name === name);
    if (!view) throw notFound(name);
    ctx.out.success('status', view, humanStatus(view));
    return 0;
  },
});
