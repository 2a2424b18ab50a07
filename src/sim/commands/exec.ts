// tart exec [-i] [-t] <name> <command> [args...]: runs the command in the guest as admin, with no
// shell (argv as given), stdout/stderr separate, the guest's exit code. The sim's "guest agent" is
// nsenter into the guest anchor's namespaces (user, mount, UTS, PID; its root) + setpriv to admin.
// -i forwards stdin; -t runs the command under `script` inside the guest, i.e. on a guest pty.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseCommand, type CommandSpec } from '../args.js';
import { runtimeError, vmNotRunning } from '../errors.js';
import { faultsFor } from '../faults.js';
import { writeErr, writeOut } from '../io.js';
import { processStartTime, readLiveLock } from '../lock.js';
import { openLocal } from './common.js';

export const EXEC_SPEC: CommandSpec = {
  name: 'exec',
  abstract: 'Execute a command in a running VM',
  args: [
    { name: 'name', help: 'VM name' },
    { name: 'command', help: 'Command to execute', passthrough: true },
  ],
  options: [
    { long: 'interactive', short: 'i', help: 'Attach host standard input to a remote command' },
    { long: 'tty', short: 't', help: 'Allocate a remote pseudo-terminal (PTY)' },
  ],
};

const shQuote = (s: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export async function exec(argv: string[]): Promise<number> {
  const { args, opts } = parseCommand(EXEC_SPEC, argv);
  const name = args['name'] as string;
  const command = (args['command'] as string[] | undefined) ?? [];
  const interactive = opts['interactive'] === true;
  const tty = opts['tty'] === true;
  openLocal(name);
  const lock = readLiveLock(name);
  if (!lock) throw vmNotRunning(name);
  const anchor = lock.initPid;
  if (!anchor || processStartTime(anchor) === null) {
    throw runtimeError('Failed to connect to the VM using its control socket: the guest is still booting, is the Tart Guest Agent running?', 1);
  }
  const faults = faultsFor(name, writeErr);
  if (faults.execHang) {
    // Injected fault: the guest agent never answers.
    await new Promise<never>(() => setInterval(() => {}, 60_000));
  }
  if (faults.execGarbage) {
    writeOut(randomBytes(96).toString('latin1') + '\n');
    return 0;
  }
  const inner = tty ? ['script', '-qefc', command.map(shQuote).join(' '), '/dev/null'] : command;
  const child = spawn(
    'nsenter',
    [
      '-t', String(anchor), '-U', '-m', '-u', '-p', '-r', '-w', '--',
      'setpriv', '--reuid=1000', '--regid=1000', '--init-groups', '--reset-env', '--',
      'env', '-C', '/home/admin', '--', ...inner,
    ],
    { stdio: [interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'] },
  );
  let raw = false;
  if (tty && interactive && process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    raw = true;
  }
  const code = await new Promise<number>((resolve) => {
    child.once('error', (e) => {
      writeErr(`Failed to connect to the VM using its control socket: ${e.message}, is the Tart Guest Agent running?\n`);
      resolve(1);
    });
    child.once('exit', (c, sig) => resolve(c ?? 128 + (sig ? (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1 }) as Record<string, number>)[sig] ?? 1 : 1)));
  });
  if (raw) process.stdin.setRawMode(false);
  return code;
}
