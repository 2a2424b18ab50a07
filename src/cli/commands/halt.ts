import { defineCommand } from '../command.js';
import { resolveName } from '../local.js';

export default defineCommand({
  name: 'halt', aliases: ['stop'],
  summary: 'Shut a VM down (the disk is kept)',
  usage: 'halt [NAME]',
  description: 'Asks the guest to power off (sudo poweroff), waits for Tart to report it stopped, then falls back to tart stop. The disk is kept.',
  positionals: [{ name: 'NAME', description: "VM name (default: the current branch's VM)" }],
  examples: ['tk halt', 'tk halt tachikoma-myapp-feature-x'],
  async run(ctx, args) {
    const name = await resolveName(ctx, args.positionals[0]);
    const { service } = await ctx.service();
    const progress = ctx.progress();
    try {
      const r = await service.halt(name, { onProgress: progress.onProgress, signal: ctx.signal });
      progress.done();
      ctx.out.success(`Halted ${name}`, r ?? { name });
    } finally {
      progress.done();
    }
    return 0;
  },
});
