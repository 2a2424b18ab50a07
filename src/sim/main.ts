// tart-sim: a stand-in for the `tart` CLI (Tart 2.35.0) on Linux. This file only dispatches; every
// command but the hot `list` and `ip` is imported lazily, so start-up stays close to a bare Node start.
import { SimExit, usageBlock } from './errors.js';
import { TART_VERSION } from './args.js';
import { writeErr, writeOut } from './io.js';
// tk polls `list` and `ip`: they are bundled into the entry chunk (one module load less than a lazy import).
import { list as listCommand } from './commands/list.js';
import { ip as ipCommand } from './commands/ip.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  create: async () => (await import('./commands/create.js')).create,
  clone: async () => (await import('./commands/clone.js')).clone,
  run: async () => guestCommand('run'),
  set: async () => (await import('./commands/set.js')).set,
  get: async () => (await import('./commands/get.js')).get,
  list: async () => listCommand,
  login: async () => (await import('./commands/login.js')).login,
  logout: async () => (await import('./commands/login.js')).logout,
  ip: async () => ipCommand,
  exec: async () => guestCommand('exec'),
  pull: async () => (await import('./commands/pull.js')).pull,
  push: async () => (await import('./commands/push.js')).push,
  import: async () => (await import('./commands/import-export.js')).importVm,
  export: async () => (await import('./commands/import-export.js')).exportVm,
  prune: async () => (await import('./commands/prune.js')).prune,
  rename: async () => (await import('./commands/rename.js')).rename,
  stop: async () => (await import('./commands/stop.js')).stop,
  delete: async () => (await import('./commands/delete.js')).del,
  fqn: async () => (await import('./commands/fqn.js')).fqn,
  suspend: async () => (await import('./commands/suspend.js')).suspend,
};

/**
 * `run` and `exec` come from the guest side (src/sim/commands/run.ts, exec.ts, another helper's
 * files). The template import lets esbuild bundle whichever of them exist, so this program builds
 * and type-checks with or without them; a build without them says so instead of crashing.
 */
async function guestCommand(name: 'run' | 'exec'): Promise<Command> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(`./commands/${name}.ts`)) as Record<string, unknown>;
  } catch {
    mod = {};
  }
  const fn = mod[name];
  if (typeof fn !== 'function') {
    throw new SimExit(1, `Error: this tart-sim build has no "${name}" command (src/sim/commands/${name}.ts is missing); rebuild with node scripts/build.mjs\n`);
  }
  return fn as Command;
}

const ABSTRACTS: [string, string][] = [
  ['create', 'Create a VM'],
  ['clone', 'Clone a VM'],
  ['run', 'Run a VM'],
  ['set', "Modify VM's configuration"],
  ['get', "Get a VM's configuration"],
  ['list', 'List created VMs'],
  ['login', 'Login to a registry'],
  ['logout', 'Logout from a registry'],
  ['ip', "Get VM's IP address"],
  ['exec', 'Execute a command in a running VM'],
  ['pull', 'Pull a VM from a registry'],
  ['push', 'Push a VM to a registry'],
  ['import', 'Import VM from a compressed .tvm file'],
  ['export', 'Export VM to a compressed .tvm file'],
  ['prune', 'Prune OCI and IPSW caches or local VMs'],
  ['rename', 'Rename a local VM'],
  ['stop', 'Stop a VM'],
  ['delete', 'Delete a VM'],
  ['suspend', 'Suspend a VM'],
];

function rootHelp(): string {
  const subs = ABSTRACTS.map(([n, a]) => `  ${n.padEnd(24)}${a}`).join('\n');
  return `USAGE: tart <subcommand>\n\nOPTIONS:\n  --version               Show the version.\n  -h, --help              Show help information.\n\nSUBCOMMANDS:\n${subs}\n\n  See 'tart help <subcommand>' for detailed help.\n`;
}


async function dispatch(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    writeOut(rootHelp());
    return 0;
  }
  if (first === '--version') {
    writeOut(`${TART_VERSION}\n`);
    return 0;
  }
  if (first === 'help') {
    const target = rest[0];
    if (target && COMMANDS[target]) return (await COMMANDS[target]())(['--help']);
    writeOut(rootHelp());
    return 0;
  }
  const loader = COMMANDS[first];
  if (!loader) {
    const msg = first.startsWith('-') ? `Unknown option '${first}'` : `Unexpected argument '${first}'`;
    throw new SimExit(64, `Error: ${msg}\n${usageBlock('')}`);
  }
  if (first === 'run' || first === 'exec') {
    // Every command but pull and clone garbage-collects tmp/ first (the other commands do it in begin()).
    const { gcTmp } = await import('./home.js');
    try {
      gcTmp();
    } catch (e) {
      writeErr(`Failed to perform garbage collection: ${(e as Error).message}\n`);
    }
  }
  const command = await loader();
  return command(rest);
}

async function main(): Promise<void> {
  let code: number;
  try {
    code = await dispatch(process.argv.slice(2));
  } catch (e) {
    if (e instanceof SimExit) {
      writeOut(e.stdout);
      writeErr(e.stderr);
      code = e.exitCode;
    } else {
      writeErr(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
      code = 1;
    }
  }
  process.exit(code);
}

void main();
