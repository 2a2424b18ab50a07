import { TkError } from '../../core/errors.js';
import { usageError } from '../args.js';
import type { CommandSpec } from '../command.js';
import { defineCommand } from '../command.js';
import { SHELLS, completionScript, isShell } from '../completions.js';
import { loadCommandModule } from '../entries.js';

const USAGE = `completions <${SHELLS.join('|')}>`;

export default defineCommand({
  name: 'completions',
  summary: 'Print a shell completion script: bash | zsh | fish',
  usage: USAGE,
  description:
    'Completes commands and aliases, their options, VM names (from `tk list`) and branches (for\n' +
    'tk spawn and tk BRANCH). Install it with:\n' +
    '  bash: source <(tk completions bash)        (add that line to ~/.bashrc)\n' +
    '  zsh:  tk completions zsh > "${fpath[1]}/_tk"   (any directory in $fpath; then restart zsh)\n' +
    '  fish: tk completions fish > ~/.config/fish/completions/tk.fish',
  positionals: [{ name: 'SHELL', description: SHELLS.join(' | ') }],
  ownsStdout: true,
  examples: ['source <(tk completions bash)', 'tk completions fish > ~/.config/fish/completions/tk.fish'],
  async run(ctx, args) {
    const shell = args.positionals[0];
    if (shell === undefined) throw usageError(`Missing SHELL for tk completions: one of ${SHELLS.join(', ')}.`, USAGE);
    if (!isShell(shell)) throw usageError(`Unknown shell ${JSON.stringify(shell)}: tk completes ${SHELLS.join(', ')}.`, USAGE);
    // Every command's spec (an explicit command: loading all modules is fine here).
    const specs = await Promise.all(
      ctx.commands.map(async (c) => {
        const mod = (await loadCommandModule(c.name)) as CommandSpec | undefined;
        if (!mod || typeof mod.name !== 'string') throw new TkError('io', `The ${c.name} command module is malformed.`);
        return { ...mod, aliases: c.aliases };
      }),
    );
    ctx.io.stdout.write(completionScript(shell, specs, ctx.version));
    return 0;
  },
});
