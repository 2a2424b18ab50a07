import { formatUtcMinute } from '../../core/views.js';
import { defineCommand } from '../command.js';
import { readViews } from '../local.js';
import { renderTable } from '../output.js';

export default defineCommand({
  name: 'list',
  aliases: ['ls'],
  summary: 'List VMs with their live state',
  usage: 'list [--repo R]',
  description:
    'Shows every VM tk tracks, with Tart\'s live state ("missing" when Tart no longer has it), and\n' +
    'tachikoma-* VMs Tart has that tk does not track (status marked "(untracked)").',
  flags: { repo: { type: 'string', valueName: 'R', description: 'Only VMs of repository R (its directory name or full path)' } },
  examples: ['tk list', 'tk ls --repo myapp', 'tk list --json | jq -r ".[].name"'],
  async run(ctx, args) {
    const repo = typeof args.flags['repo'] === 'string' ? args.flags['repo'] : undefined;
    const views = await readViews(ctx, repo === undefined ? {} : { repo });
    if (ctx.json) {
      ctx.out.document(views);
      return 0;
    }
    if (views.length === 0) {
      ctx.out.text(repo === undefined ? 'No VMs. Create one with: tk spawn BRANCH\n' : `No VMs for repository ${repo}.\n`);
      return 0;
    }
    const rows = views.map((v) => [
      v.name,
      v.repo ?? '-',
      v.branch ?? '-',
      v.tracked ? v.status : `${v.status} (untracked)`,
      v.ip ?? '-',
      formatUtcMinute(v.last_used),
    ]);
    ctx.out.text(renderTable(['NAME', 'REPO', 'BRANCH', 'STATUS', 'IP', 'LAST USED'], rows));
    return 0;
  },
});
