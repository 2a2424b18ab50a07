import { defineCommand } from '../command.js';
import { findRecord } from '../local.js';

export default defineCommand({
  name: 'cd',
  summary: "Print a VM's worktree path (for cd \"$(tk cd)\")",
  usage: 'cd [NAME]',
  positionals: [{ name: 'NAME', description: "VM name (default: the current branch's VM)" }],
  examples: ['cd "$(tk cd tachikoma-myapp-feature-x)"'],
  async run(ctx, args) {
    const rec = await findRecord(ctx, args.positionals[0]);
    ctx.out.success('worktree', { name: rec.name, worktree: rec.worktree_path }, rec.worktree_path);
    return 0;
  },
});
