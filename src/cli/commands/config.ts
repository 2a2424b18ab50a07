import { join } from 'node:path';
import { CONFIG_KEYS, REPO_SAFE_KEYS, USER_ONLY_KEYS } from '../../core/config.js';
import { TkError } from '../../core/errors.js';
import { LOCAL_FILE, REPO_FILE, loadConfig, setTrust } from '../../adapters/config-loader.js';
import { defineCommand } from '../command.js';
import { usageError } from '../args.js';

const USAGE = 'config [show|trust|untrust|edit] [--edit]';

function human(v: unknown): string {
  if (v === null || v === undefined) return '-';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export default defineCommand({
  name: 'config',
  summary: 'Show the merged config, or trust/untrust this repository\'s config files',
  usage: USAGE,
  description:
    'show (default): the merged configuration, the files it came from, and the trust status.\n' +
    `trust: let ${REPO_FILE} and ${LOCAL_FILE} of this repository set every key (not only the\n` +
    `  repository-safe ones: ${[...REPO_SAFE_KEYS].join(', ')}),\n` +
    `  except ${[...USER_ONLY_KEYS].join(', ')}: only your own config file sets that.\n` +
    '  Trust is tied to the files\' current content: any edit revokes it.\n' +
    'untrust: forget that trust.\n' +
    'edit (or --edit, as tachikoma): open the global config file in $VISUAL/$EDITOR (default vi),\n' +
    '  then check it.',
  positionals: [{ name: 'ACTION', description: 'show | trust | untrust | edit' }],
  flags: { edit: { type: 'boolean', description: 'Open the global config file in your editor' } },
  examples: ['tk config', 'tk config trust', 'tk config --json | jq .data.config.base_image'],
  async run(ctx, args) {
    const action = args.flags['edit'] ? 'edit' : (args.positionals[0] ?? 'show');
    if (!['show', 'trust', 'untrust', 'edit'].includes(action)) throw usageError(`Unknown config action ${JSON.stringify(action)}.`, USAGE);
    if (action === 'edit') {
      const { tkPaths } = await import('../../adapters/paths.js');
      const { mkdirSync } = await import('node:fs');
      const { runEditor } = await import('../../adapters/editor.js');
      const { configDir, configFile: file } = tkPaths(ctx.env);
      mkdirSync(configDir, { recursive: true });
      const code = await ctx.withTerminal(() => runEditor(file, ctx.env));
      if (code !== 0) throw new TkError('config', `The editor exited with code ${code}; ${file} may not be saved.`);
      // Check what was written (errors name the file, line and key).
      await loadConfig({ cwd: ctx.cwd, env: ctx.env, noImport: true }).then((c) => c.warnings.forEach((w) => ctx.out.warn(w)));
      ctx.out.success(`Saved ${file}`, { file });
      return 0;
    }
    const cfg = await ctx.config();
    if (action === 'show') {
      const config = Object.fromEntries(CONFIG_KEYS.map((k) => [k, cfg.config[k]]));
      const data = { config, files: cfg.files, trust: cfg.trust, repo_root: cfg.roots?.mainRoot ?? null, tart_path: cfg.tartPath };
      let text = 'Current configuration\n';
      for (const k of [...CONFIG_KEYS].sort()) text += `  ${k}: ${human(cfg.config[k])}\n`;
      text += `Files: ${cfg.files.length ? cfg.files.join(', ') : '(none: defaults)'}\n`;
      if (cfg.trust && cfg.trust !== 'no-files') text += `Repository config: ${cfg.trust}\n`;
      ctx.out.success('Current configuration', data, text);
      return 0;
    }
    const roots = cfg.roots;
    if (!roots) throw new TkError('config', `Not inside a git repository: ${ctx.cwd}.`, { hint: 'Run tk config trust inside the repository whose config you want to trust.' });
    if (action === 'untrust') {
      await setTrust(cfg.paths, roots, false);
      ctx.out.success(`Repository ${roots.mainRoot} is no longer trusted.`, { repo_root: roots.mainRoot, trusted: false });
      return 0;
    }
    if (cfg.files.every((f) => !f.startsWith(roots.worktreeRoot + '/'))) {
      throw new TkError('config', `No ${REPO_FILE} or ${LOCAL_FILE} in ${roots.worktreeRoot}: nothing to trust.`);
    }
    await setTrust(cfg.paths, roots, true);
    // Show what now applies.
    const after = await loadConfig({ cwd: ctx.cwd, env: ctx.env, paths: cfg.paths, noImport: true });
    const applied = Object.entries(after.origins)
      .filter(([, l]) => l && l.kind !== 'global')
      .map(([k]) => k)
      .sort();
    const files = [REPO_FILE, LOCAL_FILE].map((f) => join(roots.worktreeRoot, f)).filter((f) => after.files.includes(f));
    ctx.out.success(`Trusted the config of ${roots.mainRoot} (${files.join(', ')}); keys now set from it: ${applied.join(', ') || '(none)'}.`, {
      repo_root: roots.mainRoot,
      trusted: true,
      files,
      keys: applied,
    });
    return 0;
  },
});
