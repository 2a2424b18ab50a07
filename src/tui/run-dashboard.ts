// `tk` with no arguments: the full-screen dashboard.
//
// Terminal hand-off follows feasibility.md §2: Ink reads keys from a private /dev/tty stream (never
// fd 0); to run ssh we unmount Ink (it leaves the alternate screen and raw mode), destroy that
// stream, run the child with the terminal inherited while SIGINT is ignored by us, then render
// again with a fresh stream. State lives in the store, so the board comes back exactly as it was,
// and the poller and watchers keep running meanwhile.
import { openSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ReadStream } from 'node:tty';
import { render, type Instance } from 'ink';
import { createElement } from 'react';
import type { InteractiveCommand, TkService } from '../core/service.js';
import { readAgentStatus, agentStatusPathFromLogPath } from '../adapters/agent-status.js';
import { tailLog } from '../adapters/log-tail.js';
import { runInherited } from '../adapters/terminal-handoff.js';
import { watchDirs, watchWorktree } from '../adapters/watcher.js';
import { StoreContext } from '../../hooks/useStore.js';
import { ThemeContext, type Theme } from '../../hooks/useTheme.js';
import { App } from './App.js';
import type { DashboardConfig } from './config.js';
import { createController } from './controller.js';
import { startIdleGc } from './idle-gc.js';
import { startLive, type LiveDeps } from './live.js';
import { createStore, initialState, type Store } from './store.js';

export interface RunDashboardOptions {
  cwd: string;
  config: DashboardConfig;
  /** Test and benchmark hooks (not part of the CLI contract). */
  internal?: {
    onRender?: (ms: number) => void;
    store?: Store;
    liveDeps?: Partial<LiveDeps>;
    /** Where the terminal is; defaults to /dev/tty. */
    ttyPath?: string;
  };
}

const ALT_OFF_RESTORE = '\x1b[?1049l\x1b[?25h\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1006l\x1b[>4;0m\x1b[<u';

export function themeFromEnv(env: NodeJS.ProcessEnv): Theme {
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  const ascii = env['TK_ASCII'] === '1' || env['TERM'] === 'linux' || env['TERM'] === 'dumb';
  return { color: !noColor, ascii };
}

function defaultLiveDeps(service: TkService): LiveDeps {
  const tartHome = process.env['TART_HOME'] ?? join(homedir(), '.tart');
  return {
    watchWorktree: (root, onChange, opts) => watchWorktree(root, onChange, opts),
    watchDirs: (onFile) => watchDirs(onFile),
    tailLog: (path, h) => tailLog(path, h),
    readAgentStatus,
    agentStatusPath: (name) => service.agentStatusPath?.(name) ?? agentStatusPathFromLogPath(service.logPath(name), name),
    freeDiskGb: async () => {
      for (const p of [tartHome, homedir()]) {
        try {
          const st = await statfs(p);
          return (st.bavail * st.bsize) / 1e9;
        } catch {
          // try the next one
        }
      }
      return null;
    },
  };
}

/** Resolves on the next key press on the terminal (raw mode, one read, terminal mode restored). */
async function waitForKey(ttyPath: string): Promise<void> {
  const input = new ReadStream(openSync(ttyPath, 'r'));
  try {
    input.setRawMode(true);
    await new Promise<void>((resolve) => {
      input.once('data', () => resolve());
      input.once('error', () => resolve());
      input.once('close', () => resolve());
    });
  } finally {
    try {
      input.setRawMode(false);
    } catch {
      // terminal gone
    }
    input.destroy();
  }
}

export async function runDashboard(service: TkService, opts: RunDashboardOptions): Promise<number> {
  const stdout = process.stdout;
  if (!stdout.isTTY) {
    process.stderr.write('tk: the dashboard needs a terminal (stdout is not a TTY).\nUse `tk list` (or `tk list --json`) in scripts and pipes.\n');
    return 2;
  }
  const ttyPath = opts.internal?.ttyPath ?? '/dev/tty';
  let ttyFd: number;
  try {
    ttyFd = openSync(ttyPath, 'r');
  } catch (e) {
    process.stderr.write(`tk: cannot open ${ttyPath} for keyboard input (${(e as Error).message}).\nRun tk from an interactive terminal, or use \`tk list\`.\n`);
    return 2;
  }

  const store = opts.internal?.store ?? createStore(initialState());
  const theme = themeFromEnv(process.env);
  const live = startLive(service, store, opts.config, { ...defaultLiveDeps(service), ...opts.internal?.liveDeps });

  // Relative times ("3m ago") move once a minute; tick at the minute boundary only.
  let minuteTimer: NodeJS.Timeout | null = null;
  const tickMinute = () => {
    const now = Date.now();
    store.dispatch({ type: 'tick', now });
    minuteTimer = setTimeout(tickMinute, 60_000 - (now % 60_000) + 5);
  };
  tickMinute();

  let wake: (() => void) | null = null;
  const hand: { pending: { cmd: InteractiveCommand; label: string; done: (code: number) => void; fail: (e: unknown) => void } | null } = { pending: null };
  const controller = createController({
    service,
    store,
    live,
    cwd: opts.cwd,
    handoff: (cmd, label) =>
      new Promise<number>((resolve, reject) => {
        if (hand.pending) {
          reject(new Error('another session is starting'));
          return;
        }
        hand.pending = { cmd, label, done: resolve, fail: reject };
        wake?.();
      }),
  });
  // Ring the terminal bell when an agent starts waiting for input ([dashboard] bell = false to stop).
  let waitingBefore = new Set<string>();
  let bellPrimed = false;
  const unsubQuit = store.subscribe(() => {
    const s = store.getState();
    if (s.quit) wake?.();
    const waitingNow = new Set(Object.entries(s.agents).filter(([, a]) => a.state === 'waiting').map(([n]) => n));
    if (opts.config.bell && bellPrimed && instance && [...waitingNow].some((n) => !waitingBefore.has(n))) stdout.write('\x07');
    waitingBefore = waitingNow;
    if (s.loaded) bellPrimed = true;
  });

  let instance: Instance | null = null;
  let input: ReadStream | null = null;
  const release = () => {
    try {
      instance?.unmount();
    } catch {
      // already unmounted
    }
    instance = null;
    if (input) {
      try {
        input.setRawMode(false);
      } catch {
        // not a tty any more (SIGHUP)
      }
      input.destroy();
    }
    input = null;
  };

  // Leave the terminal usable whatever happens: quit, crash, SIGTERM, SIGHUP.
  let exiting = false;
  const emergency = (code: number, why?: string) => {
    if (exiting) return;
    exiting = true;
    release();
    try {
      stdout.write(ALT_OFF_RESTORE);
    } catch {
      // terminal gone
    }
    if (why) process.stderr.write(`${why}\n`);
    process.exit(code);
  };
  const onTerm = () => emergency(143);
  const onHup = () => emergency(129);
  const onCrash = (e: unknown) => emergency(1, `tk: the dashboard crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\nThe VMs are untouched; run tk again, or use tk list.`);
  // A stray rejected promise (a watcher closing late, …) is reported, not fatal: the board stays.
  const onRejection = (e: unknown) =>
    store.dispatch({ type: 'message', text: `Internal error (the board keeps running): ${e instanceof Error ? e.message : String(e)}`, level: 'warn', now: Date.now() });
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onRejection);

  const idleGc = startIdleGc();
  let fdUsed = false;
  let exitCode = 0;
  try {
    for (;;) {
      // The first stream reuses the fd opened above (so a missing /dev/tty fails early).
      input = new ReadStream(fdUsed ? openSync(ttyPath, 'r') : ttyFd);
      fdUsed = true;
      const onRender = opts.internal?.onRender;
      instance = render(
        createElement(
          StoreContext.Provider,
          { value: store },
          createElement(ThemeContext.Provider, { value: theme }, createElement(App, { controller, config: opts.config })),
        ),
        {
          stdin: input,
          stdout,
          stderr: process.stderr,
          alternateScreen: true,
          // stdout is a TTY (checked above): do not let a stray CI=true in the user's shell turn
          // Ink's live repainting off.
          interactive: true,
          exitOnCtrlC: false,
          patchConsole: false,
          // Keys are rendered on the leading edge of Ink's throttle; 120 fps keeps the trailing
          // edge of a key-repeat burst under one 60 Hz frame.
          maxFps: 120,
          incrementalRendering: true,
          onRender: (m) => {
            idleGc.rendered();
            onRender?.(m.renderTime);
          },
        },
      );
      const inst: Instance = instance;
      // Ink exits by itself only when rendering threw (its error boundary): that is a crash.
      const selfExit = inst.waitUntilExit().then(
        () => null,
        (e: unknown) => e,
      );
      let crashed: unknown = null;
      let decided = false;
      await Promise.race([
        new Promise<void>((resolve) => {
          wake = resolve;
          if (store.getState().quit || hand.pending) resolve();
        }),
        selfExit.then((e) => {
          if (!decided) crashed = e ?? new Error('the dashboard stopped unexpectedly');
        }),
      ]);
      decided = true;
      wake = null;
      inst.unmount();
      await inst.waitUntilExit().catch(() => {});
      release();
      if (crashed !== null) {
        hand.pending?.fail(crashed);
        stdout.write(ALT_OFF_RESTORE);
        const e = crashed as Error;
        process.stderr.write(`tk: the dashboard crashed: ${e.stack ?? e.message ?? String(e)}\nThe VMs are untouched; run tk again, or use tk list.\n`);
        exitCode = 1;
        break;
      }
      const h = hand.pending;
      if (store.getState().quit || !h) break;
      // Hand the terminal over. Ctrl-C in the child also signals us (same process group): ignore it.
      const ignore = () => {};
      process.on('SIGINT', ignore);
      try {
        stdout.write(`\x1b[2J\x1b[H\x1b[2mtk → ${h.label} · exit the shell to return to the dashboard\x1b[0m\r\n`);
        const code = await runInherited(h.cmd);
        if (code !== 0 && code !== 130) {
          // Keep ssh's last words (connection refused, host key, ...) on screen until a key is pressed.
          stdout.write(`\r\n\x1b[1mssh exited with status ${code}.\x1b[0m Press any key to return to the dashboard.`);
          await waitForKey(ttyPath);
        }
        h.done(code);
      } catch (e) {
        h.fail(e);
      } finally {
        process.off('SIGINT', ignore);
        hand.pending = null;
        // Reset modes a child may have left on (bracketed paste, mouse, kitty keyboard, modifyOtherKeys).
        stdout.write('\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1006l\x1b[>4;0m\x1b[<u');
      }
    }
  } finally {
    idleGc.stop();
    if (!exiting) {
      release();
      unsubQuit();
      if (minuteTimer) clearTimeout(minuteTimer);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onRejection);
      await live.stop();
    }
  }
  return exitCode;
}
