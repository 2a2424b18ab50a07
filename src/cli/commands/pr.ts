import { TkError } from '../../core/errors.js';
import { defineCommand } from '../command.js';
import { resolveName } from '../local.js';

export default defineCommand({
  name: 'pr',
  summary: "Commit the VM's changes, push its branch and open a GitHub PR",
  usage: 'pr [NAME] [--name NAME]',
  description:
    "Runs on the host, in the VM's worktree: commits pending changes (`chore: Claude changes on\n" +
    '<branch>` with the diff stat; hooks disabled), pushes HEAD to the branch on the GitHub URL tk\n' +
    "recorded when the VM was spawned, then runs `gh pr create --fill`. With only unpushed commits it\n" +
    'just pushes and opens the PR. The VM is not touched (it may be stopped).\n' +
    'Hosts: github.com, plus GitHub Enterprise hosts listed in github_hosts of your own config.',
  positionals: [{ name: 'NAME', description: "VM name (default: the current branch's VM)" }],
  flags: { name: { type: 'string', description: 'VM name (tachikoma spelling; same as NAME)' } },
  examples: ['tk pr', 'tk pr --name tachikoma-myapp-feature-x', 'tk pr tachikoma-myapp-feature-x --json'],
  async run(ctx, args) {
    const flag = args.flags['name'];
    const pos = args.positionals[0];
    if (typeof flag === 'string' && pos !== undefined && pos !== flag) {
      throw new TkError('usage', `Two different VM names given: ${JSON.stringify(pos)} and --name ${JSON.stringify(flag)}.`, { hint: 'Give the name once: tk pr NAME.' });
    }
    const name = await resolveName(ctx, typeof flag === 'string' ? flag : pos);
    const { service } = await ctx.service();
    if (!service.pr) throw new TkError('io', 'This build of tk cannot open PRs.', { hint: 'Rebuild tk (npm run build) from a complete checkout.' });
    const progress = ctx.progress();
    try {
      const r = await service.pr(name, { onProgress: progress.onProgress, signal: ctx.signal });
      progress.done();
      ctx.out.success(`PR created: ${r.url}`, { name, ...r });
    } finally {
      progress.done();
    }
    return 0;
  },
});
