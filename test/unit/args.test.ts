import { describe, expect, it } from 'vitest';
import { commandHelp, extractGlobals, parseCommandArgs } from '../../src/cli/args.js';
import type { CommandSpec } from '../../src/cli/command.js';

const exec: CommandSpec = { name: 'exec', summary: 's', usage: 'exec [NAME] -- CMD...', positionals: [{ name: 'NAME' }], rest: 'required' };
const destroy: CommandSpec = {
  name: 'destroy',
  summary: 's',
  usage: 'destroy [NAME] [--force] [--discard-changes]',
  positionals: [{ name: 'NAME' }],
  flags: { force: { type: 'boolean', short: 'f', description: 'd' }, 'discard-changes': { type: 'boolean', description: 'd' }, repo: { type: 'string', description: 'r' } },
};

describe('args', () => {
  it('globals anywhere before --, combined with command shorts', () => {
    expect(extractGlobals(['--json', 'list', '-v', '--repo', 'x', '-q'])).toEqual({
      globals: { json: true, verbose: true, quiet: true, help: false, version: false },
      rest: ['list', '--repo', 'x'],
    });
    expect(extractGlobals(['destroy', '-fv']).rest).toEqual(['destroy', '-f']);
    expect(extractGlobals(['exec', '--', 'ls', '-v', '--json'])).toMatchObject({ globals: { json: false, verbose: false }, rest: ['exec', '--', 'ls', '-v', '--json'] });
    // Sub-CLIs keep their own flags (only --json is shared).
    expect(extractGlobals(['proxy', 'start', '-d', '--json'], (c) => c === 'proxy')).toMatchObject({ globals: { json: true }, rest: ['proxy', 'start', '-d'] });
  });

  it('command flags, values, positionals, rest after --', () => {
    expect(parseCommandArgs(destroy, ['vm1', '-f', '--discard-changes', '--repo=a=b'])).toMatchObject({ flags: { force: true, 'discard-changes': true, repo: 'a=b' }, positionals: ['vm1'], rest: null });
    expect(parseCommandArgs(exec, ['vm', '--', 'sh', '-c', 'echo "$1"', '--', 'x'])).toMatchObject({ positionals: ['vm'], rest: ['sh', '-c', 'echo "$1"', '--', 'x'] });
    expect(parseCommandArgs(exec, ['--', 'hostname'])).toMatchObject({ positionals: [], rest: ['hostname'] });
  });

  it('usage errors (exit 2) say what is wrong', () => {
    const err = (spec: CommandSpec, argv: string[]) => {
      try {
        parseCommandArgs(spec, argv);
      } catch (e) {
        return e as { message: string; exitCode: number };
      }
      throw new Error('no error');
    };
    expect(err(exec, ['vm', 'ls'])).toMatchObject({ exitCode: 2, message: expect.stringContaining('put the command after --') });
    expect(err(exec, ['vm'])).toMatchObject({ exitCode: 2, message: 'tk exec needs a command after --.' });
    expect(err(destroy, ['--force=yes']).message).toBe('--force takes no value.');
    expect(err(destroy, ['--repo']).message).toBe('--repo needs a value.');
    expect(err(destroy, ['-x']).message).toBe('Unknown option -x for tk destroy.');
    expect(err(destroy, ['a', 'b']).message).toBe('Unexpected argument "b" for tk destroy.');
    expect(err(destroy, ['--', 'x']).message).toBe('tk destroy takes no arguments after --.');
  });

  it('help lists usage, flags and globals', () => {
    const h = commandHelp(destroy);
    expect(h).toMatch(/^Usage: tk destroy \[NAME\] \[--force\] \[--discard-changes\]/);
    expect(h).toContain('-f, --force');
    expect(h).toContain('--json');
  });
});
