import { proxyConfigFrom } from '../../adapters/config-loader.js';
import { defineCommand } from '../command.js';

export default defineCommand({
  name: 'proxy',
  summary: 'Credential proxy: start, stop or show its status',
  usage: 'proxy start [--port P] [--bind B] [-d|--daemon] | proxy stop | proxy status',
  description:
    'The proxy keeps your Anthropic credential on the host and gives each VM its own token.\n' +
    'tk spawn starts it on demand (credential_proxy = true, the default).',
  passthrough: true,
  ownsStdout: true,
  examples: ['tk proxy status --json', 'tk proxy start -d', 'tk proxy stop'],
  async run(ctx, args) {
    const cfg = await ctx.config();
    const { proxyCommand } = await import('../../proxy/cli.js');
    return proxyCommand(args.raw, { stdout: ctx.io.stdout, stderr: ctx.io.stderr, json: ctx.json }, proxyConfigFrom(cfg.config), { home: cfg.paths.home });
  },
});
