// Process entry of dist/tk/tk.js (a small file): picks the build that serves the command line.
// - `tk list` / `tk ls` (what scripts and prompts call most): dist/tk/list.js, main.ts bundled as
//   one file with only the list command (src/cli/entries-list.ts): no chunk loading at start-up.
// - everything else: dist/tk/main.js, the code-split build where each command loads on use.
// scripts/build.mjs makes both; from source (tests), src/cli/main.ts is used directly.
import { extractGlobals } from './args.js';

/** Whether argv runs `tk list`. */
export function isListCall(argv: readonly string[]): boolean {
  try {
    const { rest } = extractGlobals(argv, (cmd) => cmd === 'proxy');
    return rest[0] === 'list' || rest[0] === 'ls';
  } catch {
    return false;
  }
}

// A computed specifier: esbuild leaves it to Node (the other builds sit next to this file).
const build = new URL(isListCall(process.argv.slice(2)) ? './list.js' : './main.js', import.meta.url).href;
void (import(build) as Promise<{ run: () => Promise<void> }>).then((m) => m.run());
