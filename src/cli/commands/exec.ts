import { defineCommand } from '../command.js';
import { resolveName } from '../local.js';

export default defineCommand({
  name: 'exec',
  summary: 'Run a command in a VM: tk exec [NAME] -- CMD...',
  usage: 'exec [NAME] -- CMD [ARGS...]',
  description:
    'Runs CMD in the VM\'s worktree with the provisioned environment, each argument quoted exactly\n' +
    'as given. stdout and stderr are streamed separately; the exit code is the remote command\'s.\n' +
    'stdin is forwarded when it is not a terminal.',
  positionals: [{ name: 'NAME', description: "VM name (default: the current branch's VM)" }],
  rest: 'required',
  ownsStdout: true,
  examples: ['tk exec -- hostname', 'tk exec -- git status', "tk exec tachikoma-myapp-main -- sh -c 'echo $TACHIKOMA'"],
  async run(ctx, args) {
    const name = await resolveName(ctx, args.positionals[0]);
    const { service } = await ctx.service();
    const stdin = ctx.io.stdin.isTTY ? undefined : (ctx.io.stdin as unknown as AsyncIterable<Uint8Array>);
    return service.exec(name, args.rest ?? [], {
      stdout: (c) => ctx.io.stdout.write(c),
      stderr: (c) => ctx.io.stderr.write(c),
      signal: ctx.signal,
      ...(stdin ? { stdin } : {}),
    });
  },
});
