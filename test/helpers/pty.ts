// Runs a program in a real pseudo-terminal (node-pty) and keeps an exact screen model of it
// (@xterm/headless): tests wait for text, type keys, and check alternate-screen and tty modes.
// Reusable for any TUI test (the dashboard on the fake service or on tart-sim).
// The program never sees the real HOME: unless the caller passes HOME, it gets a temporary one
// (removed when it exits), and HISTFILE/XDG_* point inside that HOME, so an interactive shell the
// test starts (a hand-off `bash -i`) writes its history there, not to ~/.bash_history.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty, { type IPty } from 'node-pty';
import xterm from '@xterm/headless';

const { Terminal } = xterm;

export const KEYS = {
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  enter: '\r',
  escape: '\x1b',
  tab: '\t',
  backspace: '\x7f',
  pageUp: '\x1b[5~',
  pageDown: '\x1b[6~',
  home: '\x1b[H',
  end: '\x1b[F',
  ctrlC: '\x03',
} as const;

export interface PtyOptions {
  cols?: number;
  rows?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface PtySession {
  readonly pid: number;
  /** The program's HOME: the caller's, or a temporary directory removed when the program exits. */
  readonly home: string;
  /** Raw bytes received so far. */
  output(): string;
  /** The visible screen, one string per row (trailing spaces trimmed). */
  screen(): Promise<string[]>;
  screenText(): Promise<string>;
  /** 'alternate' while a full-screen app owns the terminal. */
  buffer(): Promise<'normal' | 'alternate'>;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Polls the screen until `pred` holds; throws with the last screen after `timeoutMs`. */
  waitFor(pred: string | RegExp | ((screen: string) => boolean), timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code when the program ends. */
  exited(): Promise<number>;
  isExited(): boolean;
  kill(signal?: string): void;
}

export function spawnPty(file: string, args: string[], opts: PtyOptions = {}): PtySession {
  const cols = opts.cols ?? 120;
  const rows = opts.rows ?? 32;
  const term = new Terminal({ cols, rows, allowProposedApi: true, scrollback: 1000 });
  const ownHome = opts.env?.['HOME'] === undefined ? mkdtempSync(join(tmpdir(), 'tk-pty-home-')) : null;
  const home = ownHome ?? (opts.env?.['HOME'] as string);
  // Inherited values would point back into the real HOME; the caller's own values win.
  const sandbox = {
    HOME: home,
    HISTFILE: join(home, '.bash_history'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local/state'),
    XDG_DATA_HOME: join(home, '.local/share'),
  };
  // CI=true makes Ink stop repainting; TERM must be a real terminal type.
  const env = { ...process.env, CI: 'false', TERM: 'xterm-256color', FORCE_COLOR: '0', ...sandbox, ...opts.env } as Record<string, string>;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  delete env['VITEST'];
  delete env['VITEST_WORKER_ID'];
  let p: IPty;
  try {
    p = pty.spawn(file, args, { name: 'xterm-256color', cols, rows, cwd: opts.cwd ?? process.cwd(), env });
  } catch (e) {
    if (ownHome) rmSync(ownHome, { recursive: true, force: true });
    throw e;
  }
  let raw = '';
  let exitCode: number | null = null;
  const exitP = new Promise<number>((resolve) => {
    p.onExit(({ exitCode: c }) => {
      exitCode = c;
      if (ownHome) rmSync(ownHome, { recursive: true, force: true });
      resolve(c);
    });
  });
  p.onData((d) => {
    raw += d;
    term.write(d);
  });
  const flush = () => new Promise<void>((r) => term.write('', r));
  const screen = async () => {
    await flush();
    const b = term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < term.rows; i++) out.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? '');
    return out;
  };
  const session: PtySession = {
    pid: p.pid,
    home,
    output: () => raw,
    screen,
    screenText: async () => (await screen()).join('\n'),
    buffer: async () => {
      await flush();
      return term.buffer.active.type === 'alternate' ? 'alternate' : 'normal';
    },
    write: (d) => p.write(d),
    resize: (c, r) => {
      p.resize(c, r);
      term.resize(c, r);
    },
    async waitFor(pred, timeoutMs = 10_000) {
      const test =
        typeof pred === 'string' ? (s: string) => s.includes(pred) : pred instanceof RegExp ? (s: string) => pred.test(s) : pred;
      const deadline = Date.now() + timeoutMs;
      let last = '';
      for (;;) {
        last = (await screen()).join('\n');
        if (test(last)) return last;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pred)}; screen was:\n${last}`);
        if (exitCode !== null) throw new Error(`program exited (${exitCode}) while waiting for ${String(pred)}; screen was:\n${last}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    exited: () => exitP,
    isExited: () => exitCode !== null,
    kill: (sig = 'SIGTERM') => {
      if (exitCode === null) p.kill(sig);
    },
  };
  return session;
}

/**
 * Runs `file args` inside `bash -c` on the pty and, after it exits, prints `RC=<code>`, the tty's
 * icanon/echo modes and `STTY-DONE` on the same terminal: checks that a TUI restored it.
 */
export function spawnPtyThenStty(file: string, args: string[], opts: PtyOptions = {}): PtySession {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = `${[file, ...args].map(q).join(' ')}; echo "RC=$?"; stty -a | tr -s ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '; echo STTY-DONE; sleep 5`;
  return spawnPty('bash', ['--norc', '--noprofile', '-c', script], opts);
}

/** From a screen printed by spawnPtyThenStty: exit code and whether cooked mode is back. */
export function ttyReport(screen: string): { rc: number | null; icanon: boolean; echo: boolean } {
  const rc = /RC=(\d+)/.exec(screen);
  const modes = /((?:-?(?:icanon|echo) )+)STTY-DONE/.exec(screen)?.[1]?.trim().split(' ') ?? [];
  return { rc: rc ? Number(rc[1]) : null, icanon: modes.includes('icanon'), echo: modes.includes('echo') };
}
