// The swift-argument-parser look-alike: forms of options, clusters, terminator, passthrough, errors.
import { describe, expect, it } from 'vitest';
import { parseCommand, type CommandSpec } from '../../src/sim/args.js';
import { SimExit } from '../../src/sim/errors.js';

const EXEC: CommandSpec = {
  name: 'exec',
  abstract: 'Execute a command in a running VM',
  args: [
    { name: 'name', help: 'VM name' },
    { name: 'command', help: 'Command to execute', passthrough: true },
  ],
  options: [
    { long: 'interactive', short: 'i', help: "Attach host's standard input to a remote command" },
    { long: 'tty', short: 't', help: 'Allocate a remote pseudo-terminal (PTY)' },
  ],
};
const STOP: CommandSpec = {
  name: 'stop',
  abstract: 'Stop a VM',
  args: [{ name: 'name', help: 'VM name' }],
  options: [{ long: 'timeout', short: 't', value: 'timeout', type: 'uint64', help: 'Seconds', default: 30 }],
};

function fail(spec: CommandSpec, argv: string[]): SimExit {
  try {
    parseCommand(spec, argv);
  } catch (e) {
    if (e instanceof SimExit) return e;
    throw e;
  }
  throw new Error('expected a SimExit');
}

describe('parseCommand', () => {
  it('captures everything after the VM name for exec, flags included', () => {
    expect(parseCommand(EXEC, ['-it', 'vm', 'ls', '-la', '--', 'x'])).toEqual({
      args: { name: 'vm', command: ['ls', '-la', '--', 'x'] },
      opts: { interactive: true, tty: true },
    });
    expect(parseCommand(EXEC, ['vm', 'sh', '-c', 'echo -i']).opts).toEqual({ interactive: false, tty: false });
  });

  it('accepts --opt value, --opt=value, -t value, and a -- terminator', () => {
    expect(parseCommand(STOP, ['vm', '--timeout', '5']).opts['timeout']).toBe(5);
    expect(parseCommand(STOP, ['--timeout=7', 'vm']).opts['timeout']).toBe(7);
    expect(parseCommand(STOP, ['-t', '9', 'vm']).opts['timeout']).toBe(9);
    expect(parseCommand(STOP, ['--', '-weird-name']).args['name']).toBe('-weird-name');
    expect(parseCommand(STOP, ['vm']).opts['timeout']).toBe(30);
  });

  it('reports errors with ArgumentParser wording, exit 64, and the usage block', () => {
    const e = fail(STOP, ['vm', '--timeout', '-1']);
    expect(e.exitCode).toBe(64);
    expect(e.stderr).toBe(
      "Error: Missing value for '--timeout <timeout>'\nHelp:  --timeout <timeout>  Seconds\nUsage: tart stop <name> [--timeout <timeout>]\n  See 'tart stop --help' for more information.\n",
    );
    expect(fail(STOP, ['vm', '--timeout', '1.5']).stderr).toMatch(/^Error: The value '1\.5' is invalid for '--timeout <timeout>'\n/);
    expect(fail(STOP, ['a', 'b', 'c']).stderr).toMatch(/^Error: 2 unexpected arguments: 'b', 'c'\n/);
    expect(fail(STOP, ['vm', '-x']).stderr).toMatch(/^Error: Unknown option '-x'\n/);
    expect(fail(EXEC, ['-i']).stderr).toMatch(/^Error: Missing expected argument '<name>'\nHelp: {2}<name> {2}VM name\n/);
    expect(fail(EXEC, ['--interactive=yes', 'vm', 'ls']).stderr).toMatch(/^Error: The option '--interactive' does not take any value, but 'yes' was specified\.\n/);
  });

  it('answers --help and --version with exit 0 on stdout', () => {
    const help = fail(STOP, ['--help']);
    expect([help.exitCode, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toContain('USAGE: tart stop <name> [--timeout <timeout>]');
    expect(fail(STOP, ['vm', '--version']).stdout).toBe('2.35.0\n');
  });
});
