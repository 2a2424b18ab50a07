// `--dir` parsing and grouping (pure functions of src/sim/guest/dirs.ts) and fault merging.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimExit } from '../../src/sim/errors.js';
import { DEFAULT_TAG, parseDir, resolveShares } from '../../src/sim/guest/dirs.js';

const dir = mkdtempSync(join(tmpdir(), 'tart-sim-dirs-'));
const a = join(dir, 'a');
const b = join(dir, 'b');
mkdirSync(a);
mkdirSync(b);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--dir syntax', () => {
  it.each([
    ['/src', { name: null, path: '/src', ro: false, tag: DEFAULT_TAG }],
    ['/src:ro', { name: null, path: '/src', ro: true, tag: DEFAULT_TAG }],
    ['proj:/src', { name: 'proj', path: '/src', ro: false, tag: DEFAULT_TAG }],
    ['proj:/src:ro', { name: 'proj', path: '/src', ro: true, tag: DEFAULT_TAG }],
    ['proj:/src:ro,tag=t1', { name: 'proj', path: '/src', ro: true, tag: 't1' }],
    ['/src:tag=t2', { name: null, path: '/src', ro: false, tag: 't2' }],
    ['n:/a:b', { name: 'n', path: '/a:b', ro: false, tag: DEFAULT_TAG }],
  ])('%s', (value, expected) => {
    expect(parseDir(value)).toEqual(expected);
  });

  it('groups by tag: one unnamed share is the folder, named shares are subfolders, last name wins', () => {
    expect(resolveShares([a])).toEqual([{ tag: DEFAULT_TAG, name: '', path: a, ro: false }]);
    expect(resolveShares([`x:${a}`, `y:${b}:ro`, `x:${b}`, `${a}:tag=other`])).toEqual([
      { tag: DEFAULT_TAG, name: 'x', path: b, ro: false },
      { tag: DEFAULT_TAG, name: 'y', path: b, ro: true },
      { tag: 'other', name: '', path: a, ro: false },
    ]);
  });

  it('refuses several unnamed shares for one tag with Tart validation error (root usage, exit 64)', () => {
    let err: unknown;
    try {
      resolveShares([a, `n:${b}`]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SimExit);
    expect((err as SimExit).exitCode).toBe(64);
    expect((err as SimExit).stderr).toBe(
      "Error: invalid --dir syntax: for multiple directory shares each one of them should be named\nUsage: tart <subcommand>\n  See 'tart --help' for more information.\n",
    );
  });

  it('refuses a missing folder, a file, a bad tag and remote archives with a hint', () => {
    writeFileSync(join(dir, 'file'), '');
    for (const v of [join(dir, 'nope'), join(dir, 'file'), `${a}:tag=x/y`, 'https://example.invalid/x.tar.gz']) {
      let err: unknown;
      try {
        resolveShares([v]);
      } catch (e) {
        err = e;
      }
      expect(err, v).toBeInstanceOf(SimExit);
      expect((err as SimExit).exitCode, v).toBe(1);
      expect((err as SimExit).stderr, v).toMatch(/^Error: .+[:;] .+\n$/);
    }
  });
});
