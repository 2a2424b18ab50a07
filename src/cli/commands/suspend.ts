import { defineCommand } from '../command.js';
import { resolveName } from '../local.js';

export default defineCommand({
  name: 'suspend',
  summary: 'Suspend a VM (macOS guests; Linux guests: explains the alternative)',
  usage: 'suspend [NAME]',
  description: 'Real tart suspend for macOS guests (tk starts them with --suspendable). Tart cannot suspend Linux VMs: tk says so and suggests tk halt, which keeps the disk.',
  positionals: [{ name: 'NAME', description: "VM name (default: the current branch's VM)" }],
  examples: ['tk suspend', 'tk suspend tachikoma-myapp-feature-x'],
  async run(ctx, args) {
    const name = await resolveName(ctx, args.positionals[0]);
    const { service } = await ctx.service();
    const progress = ctx.progress();
    try {
      const r = await service.suspend(name, { onProgress: progress.onProgress, signal: ctx.signal });
      progress.done();
      ctx.out.success(`Suspended ${name}`, r ?? { name });
    } finally {
      progress.done();
    }
    return 0;
  },
});
