// Lint = import boundaries (the architecture, enforced) + a few correctness rules.
// Boundaries:
//   src/core     pure domain logic: no I/O, no process, no UI; may import src/ports (types) only
//   ink/react    only in components/, hooks/, src/tui
//   execa, ssh2, chokidar, undici, child_process   only in src/adapters, src/proxy, src/sim
//   src/sim      is a separate program (the Tart stand-in): tk never imports it, it imports nothing of tk
import tseslint from 'typescript-eslint';

const UI = ['ink', 'ink-*', 'react', 'react/*', 'ink-table'];
const IO_LIBS = ['execa', 'ssh2', 'chokidar', 'undici', 'node:child_process', 'child_process'];
const NODE_IO = ['node:fs', 'node:fs/*', 'fs', 'fs/*', 'node:net', 'node:http', 'node:https', 'node:dgram', 'node:tty', 'node:os', 'node:process', 'node:worker_threads', 'smol-toml'];
const SIM = ['**/src/sim/**', '**/sim/*.js', '../sim/*', '../../src/sim/*'];
const TK = ['**/src/core/**', '**/src/ports/**', '**/src/adapters/**', '**/src/cli/**', '**/src/tui/**', '**/src/proxy/**', '**/src/mcp/**', '**/components/**', '**/hooks/**', '../core/*', '../ports/*', '../adapters/*', '../cli/*', '../tui/*', '../proxy/*', '../mcp/*'];

const restrict = (groups, message) => ({ group: groups, message });
const rule = (...patterns) => ['error', { patterns }];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'coverage/**', '.demo/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': rule(
        restrict(UI, 'ink/react belong to components/, hooks/ and src/tui only.'),
        restrict(IO_LIBS, 'process, SSH, watcher and HTTP libraries belong to src/adapters, src/proxy and src/sim only.'),
        restrict(SIM, 'tk never imports the simulator: it runs whatever tart binary is configured.'),
      ),
    },
  },
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': rule(
        restrict(UI, 'src/core is pure: no UI.'),
        restrict(IO_LIBS, 'src/core is pure: no processes or network.'),
        restrict(NODE_IO, 'src/core is pure: no I/O. Take what you need through a port (src/ports).'),
        restrict(SIM, 'tk never imports the simulator.'),
        restrict(['../adapters/*', '../cli/*', '../tui/*', '../proxy/*', '../mcp/*', '**/components/**', '**/hooks/**'], 'src/core may import only src/core and src/ports.'),
      ),
    },
  },
  {
    files: ['src/ports/**'],
    rules: {
      'no-restricted-imports': rule(
        restrict([...UI, ...IO_LIBS], 'src/ports holds interfaces only.'),
        restrict(SIM, 'tk never imports the simulator.'),
        restrict(['../adapters/*', '../cli/*', '../tui/*', '../proxy/*', '../mcp/*'], 'src/ports may import only src/core types.'),
      ),
    },
  },
  {
    files: ['components/**', 'hooks/**', 'src/tui/**'],
    rules: {
      'no-restricted-imports': rule(
        restrict(IO_LIBS, 'the UI calls the core through hooks; processes and network belong to src/adapters.'),
        restrict(SIM, 'tk never imports the simulator.'),
      ),
    },
  },
  {
    files: ['src/adapters/**', 'src/proxy/**'],
    rules: {
      'no-restricted-imports': rule(
        restrict(UI, 'ink/react belong to components/, hooks/ and src/tui only.'),
        restrict(SIM, 'tk never imports the simulator.'),
      ),
    },
  },
  {
    files: ['src/sim/**'],
    rules: {
      'no-restricted-imports': rule(
        restrict(UI, 'the simulator has no UI.'),
        restrict(TK, 'the simulator is a separate program and imports nothing of tk.'),
      ),
    },
  },
  {
    // Tests, benchmarks and scripts may reach anything (they drive both tk and the simulator).
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-restricted-imports': 'off', 'no-console': 'off' },
  },
);
