import { defineCommand } from '../command.js';
import { resolveName } from '../local.js';
import { bringUpText } from '../spawn-result.js';

export default defineCommand({
  name: 'resume',
  summary: 'Start a suspended or stopped VM without entering it',
  usage: 'resume [NAME]',
  description: 'Starts (or reconnects) the VM, mounts the worktree again and finishes any provisioning left, without opening a shell.',
  positionals: [{ name: 'NAME', description: "VM name (default: the current branch's VM)" }],
  examples: ['tk resume', 'tk resume tachikoma-myapp-feature-x'],
  async run(ctx, args) {
    const name = await resolveName(ctx, args.positionals[0]);
    const { service } = await ctx.service();
    const progress = ctx.progress();
    try {
      const r = await service.resume(name, { onProgress: progress.onProgress, signal: ctx.signal });
      progress.done();
      ctx.out.success(`Resumed ${name}`, r, bringUpText(`Resumed ${name}`, r));
    } finally {
      progress.done();
    }
    return 0;
  },
});
