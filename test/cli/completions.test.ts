// tk completions: usage errors, scripts derived from every command's spec, syntax (bash -n, zsh -n,
// fish -n) and real completion in bash, zsh and fish against the built tk with a stand-in tart.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CommandSpec } from '../../src/cli/command.js';
import { loadCommandModule } from '../../src/cli/entries.js';
import { COMMANDS } from '../../src/cli/main.js';
import { tempDir } from '../helpers/git-repo.js';
import { buildTk } from './build-tk.js';
import { tk } from './helpers.js';

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const SHELLS = ['bash', 'zsh', 'fish'] as const;
const HOSTILE = 'feat/$(touch${IFS}pwned)';

function baseEnv(home: string) {
  return { PATH: process.env['PATH'], HOME: home, TK_HOME: home, TK_TART: join(home, 'no-tart') };
}

async function script(shell: string, home: string): Promise<string> {
  const r = await tk(['completions', shell], { env: baseEnv(home), cwd: home });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('tk completions (in process)', () => {
  it('without a shell or with an unknown one: usage error listing the shells', async () => {
    const home = tempDir();
    for (const argv of [['completions'], ['completions', 'powershell']]) {
      const r = await tk(argv, { env: baseEnv(home), cwd: home });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/bash, zsh, fish/);
    }
  });

  it('--help shows how to install each script', async () => {
    const home = tempDir();
    const r = await tk(['completions', '--help'], { env: baseEnv(home), cwd: home });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('source <(tk completions bash)');
    expect(r.stdout).toMatch(/tk completions zsh > "\$\{fpath\[1\]\}\/_tk"/);
    expect(r.stdout).toContain('tk completions fish > ~/.config/fish/completions/tk.fish');
  });

  it('every command of the COMMANDS table, its aliases and its flags are in every script', async () => {
    const home = tempDir();
    const scripts = Object.fromEntries(await Promise.all(SHELLS.map(async (s) => [s, await script(s, home)] as const)));
    for (const c of COMMANDS) {
      const spec = (await loadCommandModule(c.name)) as CommandSpec;
      const pattern = [c.name, ...c.aliases].join('|');
      expect(scripts['bash'], c.name).toContain(`\n    ${pattern}) flags='`);
      expect(scripts['zsh'], c.name).toContain(`\n    (${pattern}) flags=(`);
      for (const n of [c.name, ...c.aliases]) expect(scripts['fish'], n).toMatch(new RegExp(`-a ${n} -d `));
      for (const [long, f] of Object.entries(spec.flags ?? {})) {
        const words = [`--${long}`, ...(f.short ? [`-${f.short}`] : [])].join(' ');
        expect(scripts['bash']).toMatch(new RegExp(`\\n    ${pattern.replace(/\|/g, '\\|')}\\) flags='[^']*${words}`));
        expect(scripts['fish']).toContain(`'__fish_seen_subcommand_from ${[c.name, ...c.aliases].join(' ')}' -l ${long}${f.short ? ` -s ${f.short}` : ''}`);
      }
    }
  });
});

describe('tk completions (the scripts in real shells)', () => {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  let repo = '';
  const files: Record<string, string> = {};

  beforeAll(async () => {
    const entry = await buildTk();
    dir = tempDir('tk-completions-');
    const bin = join(dir, 'bin');
    const home = join(dir, 'home');
    repo = join(dir, 'repo');
    for (const d of [bin, home, repo]) mkdirSync(d, { recursive: true });
    // `tk` on PATH is the built one; tart is a stand-in that knows no VMs (tracked ones show as missing).
    writeFileSync(join(bin, 'tk'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(entry)} "$@"\n`);
    writeFileSync(join(bin, 'tart'), '#!/bin/sh\ncase "$1" in list) echo "[]" ;; esac\n');
    writeFileSync(join(bin, 'tart-hangs'), '#!/bin/sh\nexec sleep 60\n');
    for (const f of ['tk', 'tart', 'tart-hangs']) chmodSync(join(bin, f), 0o755);
    const rec = (name: string, branch: string) => ({ name, repo: 'myapp', branch, worktree_path: `/w/${branch}`, created_at: '2026-03-01T08:00:00Z', last_used: '2026-03-02T09:30:00Z', status: 'running', ip: null });
    writeFileSync(join(home, 'state.json'), JSON.stringify({ version: 1, vms: [rec('tachikoma-myapp-main', 'main'), rec('tachikoma-myapp-dev', 'dev')] }));
    const git = (...a: string[]) => expect(spawnSync('git', a, { cwd: repo, env: { ...process.env, HOME: home } }).status).toBe(0);
    git('init', '-q', '-b', 'main');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'x');
    git('branch', 'work');
    git('branch', HOSTILE);
    env = { PATH: `${bin}:${process.env['PATH']}`, HOME: home, TK_HOME: home, TK_TART: join(bin, 'tart') };
    for (const s of SHELLS) {
      files[s] = join(dir, `tk.${s}`);
      writeFileSync(files[s], await script(s, home));
    }
  }, 120_000);

  for (const shell of SHELLS) {
    it(`the ${shell} script is valid syntax (${shell} -n)`, (ctx) => {
      if (!has(shell)) {
        ctx.skip(`${shell} is not installed on this machine`);
        return;
      }
      const r = spawnSync(shell, ['-n', files[shell]!], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    });
  }

  /** COMPREPLY of the bash completion function for the words (the last one is being completed). */
  function bashComplete(words: string[], extraEnv: NodeJS.ProcessEnv = {}): string[] {
    const prog = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tk; printf "%s\\n" "${COMPREPLY[@]}"';
    const r = spawnSync('bash', ['--norc', '-c', prog, 'bash', files['bash']!, ...words], { cwd: repo, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  }

  it('bash: commands, flags, VM names and branches', () => {
    expect(bashComplete(['tk', 'de'])).toEqual(['destroy', 'delete']);
    expect(bashComplete(['tk', 'destroy', '--'])).toEqual(expect.arrayContaining(['--force', '--discard-changes', '--json']));
    expect(bashComplete(['tk', 'delete', '--d'])).toEqual(['--discard-changes']);
    expect(bashComplete(['tk', 'destroy', ''])).toEqual(['tachikoma-myapp-main', 'tachikoma-myapp-dev']);
    expect(bashComplete(['tk', '--json', 'status', 'tachikoma-myapp-d'])).toEqual(['tachikoma-myapp-dev']);
    // One NAME only; nothing after --; no VM names for a flag's value.
    expect(bashComplete(['tk', 'destroy', 'tachikoma-myapp-main', ''])).toEqual([]);
    expect(bashComplete(['tk', 'exec', '--', ''])).toEqual([]);
    expect(bashComplete(['tk', 'list', '--repo', ''])).toEqual([]);
    // Branches, quoted for the shell (never expanded): spawn and the bare tk BRANCH.
    expect(bashComplete(['tk', 'spawn', ''])).toEqual(['feat/\\$\\(touch\\$\\{IFS\\}pwned\\)', 'main', 'work']);
    expect(bashComplete(['tk', 'fe'])).toEqual(['feat/\\$\\(touch\\$\\{IFS\\}pwned\\)']);
    expect(bashComplete(['tk', ''])).toEqual(expect.arrayContaining(['spawn', 'completions', 'ls', 'main', 'work']));
    expect(existsSync(join(repo, 'pwned'))).toBe(false);
  });

  it('bash: a hung tart does not hang NAME completion', () => {
    const started = Date.now();
    const r = bashComplete(['tk', 'destroy', ''], { TK_TART: join(dir, 'bin', 'tart-hangs') });
    expect(r).toEqual([]);
    // The script's own limit is 3 s; the spawnSync timeout (20 s) would fail the run above.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('zsh: the completion function offers commands, flags, VM names and branches', (ctx) => {
    if (!has('zsh')) {
      ctx.skip('zsh is not installed on this machine');
      return;
    }
    // compadd/_describe/compdef exist only inside zsh's completion system: stand-ins that print.
    const prog =
      'compdef() { :; }; compadd() { local a; for a in "$@"; do [[ $a == -- ]] || print -r -- "$a"; done; }; ' +
      '_describe() { local -a arr; arr=("${(@P)4}"); print -rl -- "${(@)arr%%:*}"; }; ' +
      'source "$1"; shift; words=("$@"); CURRENT=$#; _tk';
    const run = (words: string[]) => {
      const r = spawnSync('zsh', ['-f', '-c', prog, 'zsh', files['zsh']!, ...words], { cwd: repo, env, encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').filter(Boolean);
    };
    expect(run(['tk', 'de'])).toEqual(expect.arrayContaining(['destroy', 'delete', 'main', HOSTILE]));
    expect(run(['tk', 'destroy', '--'])).toEqual(expect.arrayContaining(['--force', '-f', '--discard-changes']));
    expect(run(['tk', 'destroy', ''])).toEqual(['tachikoma-myapp-main', 'tachikoma-myapp-dev']);
    expect(run(['tk', 'spawn', ''])).toEqual([HOSTILE, 'main', 'work']);
    expect(existsSync(join(repo, 'pwned'))).toBe(false);
  });

  it('fish: complete -C offers commands, flags, VM names and branches', (ctx) => {
    if (!has('fish')) {
      ctx.skip('fish is not installed on this machine');
      return;
    }
    const run = (line: string) => {
      const r = spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', files['fish']!, line], { cwd: repo, env, encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
    };
    expect(run('tk de')).toEqual(['delete', 'destroy']);
    expect(run('tk destroy --')).toEqual(expect.arrayContaining(['--force', '--discard-changes', '--json']));
    expect(run('tk destroy ')).toEqual(['tachikoma-myapp-dev', 'tachikoma-myapp-main']);
    expect(run('tk spawn ')).toEqual([HOSTILE, 'main', 'work']);
    expect(existsSync(join(repo, 'pwned'))).toBe(false);
  });
});
