import { defineCommand } from '../command.js';
import { resolveName } from '../local.js';
import { bringUpText } from '../spawn-result.js';

export default defineCommand({
  name: 'provision',
  summary: 'Run (or finish) provisioning of a VM again',
  usage: 'provision [NAME]',
  description: 'Runs every provisioning step again (they are idempotent), starting the VM first when needed. Output goes to the VM log (tk logs).',
  positionals: [{ name: 'NAME', description: "VM name (default: the current branch's VM)" }],
  examples: ['tk provision', 'tk provision tachikoma-myapp-feature-x'],
  async run(ctx, args) {
    const name = await resolveName(ctx, args.positionals[0]);
    const { service } = await ctx.service();
    const progress = ctx.progress();
    try {
      const r = await service.provision(name, { onProgress: progress.onProgress, signal: ctx.signal });
      progress.done();
      ctx.out.success(`Provisioned ${name}`, r, bringUpText(`Provisioned ${name}`, r));
    } finally {
      progress.done();
    }
    return 0;
  },
});
