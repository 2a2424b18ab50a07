// User intents -> TkService calls. Every action runs concurrently with the others (one per VM),
// reports progress into its row, and ends with a message; nothing here can throw into React.
import type { TkService, InteractiveCommand } from '../core/service.js';
import type { Phase } from '../core/model.js';
import { toTkError } from '../core/errors.js';
import type { Live } from './live.js';
import type { OpKind, Store } from './store.js';

export interface Controller {
  spawn(branch: string): void;
  resume(name: string): void;
  halt(name: string): void;
  suspend(name: string): void;
  openDestroy(name: string): void;
  destroy(name: string, discardChanges: boolean): void;
  pr(name: string): void;
  openSpawnPrompt(): void;
  openExecPrompt(name: string): void;
  exec(name: string, commandLine: string): void;
  enter(name: string, agent: boolean): void;
  quit(): void;
}

export interface ControllerDeps {
  service: TkService;
  store: Store;
  live: Pick<Live, 'poke' | 'refreshChanges'>;
  cwd: string;
  /** Hands the terminal to an interactive command; resolves with its exit code once the board is back. */
  handoff(cmd: InteractiveCommand, label: string): Promise<number>;
  now?: () => number;
}

/** Splits a command line like a POSIX shell would for simple cases: quotes and backslashes, no expansion. */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (q === "'") {
      if (c === "'") q = null;
      else cur += c;
    } else if (q === '"') {
      if (c === '"') q = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1] as string)) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      q = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (q) throw new Error(`unterminated ${q === '"' ? 'double' : 'single'} quote`);
  if (has || cur) out.push(cur);
  return out;
}

export function createController(d: ControllerDeps): Controller {
  const { service, store } = d;
  const now = d.now ?? Date.now;
  const msg = (text: string, level: 'info' | 'warn' | 'error' = 'info') => store.dispatch({ type: 'message', text, level, now: now() });

  const busy = (name: string): boolean => {
    const s = store.getState();
    const branch = s.vms.find((v) => v.name === name)?.branch;
    const op = s.ops[name] ?? (branch ? s.ops[`spawn:${branch}`] : undefined);
    if (op) msg(`${name} is busy (${op.kind} running); wait for it to finish.`, 'warn');
    return op !== undefined;
  };

  /** Runs one action against a VM row with progress, error capture and a poll afterwards. */
  const run = (name: string, kind: OpKind, label: string, fn: (onProgress: (p: { phase: Phase; message: string }) => void) => Promise<string>) => {
    if (busy(name)) return;
    store.dispatch({ type: 'opStart', name, kind, now: now(), message: label });
    d.live.poke();
    let result: Promise<string>;
    try {
      result = fn((p) => store.dispatch({ type: 'opProgress', name, phase: p.phase, message: p.message }));
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(
      (text) => {
        store.dispatch({ type: 'opEnd', name, ok: true, message: text, now: now() });
        d.live.poke();
        d.live.refreshChanges(name);
      },
      (e: unknown) => {
        const err = toTkError(e);
        store.dispatch({ type: 'opEnd', name, ok: false, message: `${kind} ${name}: ${err.message}${err.hint ? ` ${err.hint}` : ''}`, now: now() });
        d.live.poke();
      },
    );
  };

  return {
    spawn(branch) {
      const b = branch.trim();
      if (!b) {
        msg('No branch given: nothing spawned.', 'warn');
        return;
      }
      // The row does not exist yet: track the op under a placeholder key named after the branch.
      const key = `spawn:${b}`;
      run(key, 'spawn', `spawning ${b}`, (onProgress) =>
        service
          .spawn({ cwd: d.cwd, branch: b, onProgress: (e) => onProgress(e) })
          .then((r) => {
            store.dispatch({ type: 'select', name: r.name });
            return `${r.name}: ${r.kind} (${r.ip}).`;
          }),
      );
    },
    resume(name) {
      run(name, 'resume', 'starting', (onProgress) => service.resume(name, { onProgress }).then((r) => `${name}: ${r.kind} (${r.ip}).`));
    },
    halt(name) {
      run(name, 'halt', 'halting', (onProgress) => service.halt(name, { onProgress }).then(() => `${name} halted.`));
    },
    suspend(name) {
      run(name, 'suspend', 'suspending', (onProgress) => service.suspend(name, { onProgress }).then(() => `${name} suspended.`));
    },
    openDestroy(name) {
      if (busy(name)) return;
      store.dispatch({ type: 'openDialog', dialog: { kind: 'destroy', name, plan: null, error: null } });
      service.destroyPlan(name).then(
        (plan) => store.dispatch({ type: 'destroyPlan', name, plan, error: null }),
        (e: unknown) => store.dispatch({ type: 'destroyPlan', name, plan: null, error: toTkError(e).message }),
      );
    },
    destroy(name, discardChanges) {
      store.dispatch({ type: 'closeDialog' });
      run(name, 'destroy', 'destroying', (onProgress) =>
        service.destroy(name, { discardChanges, onProgress }).then((r) => `${name} destroyed${r.worktreeRemoved ? ', worktree removed' : r.worktreeKeptReason ? `; worktree kept: ${r.worktreeKeptReason}` : ''}.`),
      );
    },
    pr(name) {
      const pr = service.pr?.bind(service);
      if (!pr) {
        msg('Opening a PR from the dashboard needs a newer tk engine (TkService.pr is missing). Meanwhile: commit and push in the worktree, then run `gh pr create --fill` there.', 'warn');
        return;
      }
      run(name, 'pr', 'opening PR', (onProgress) => pr(name, { onProgress }).then((r) => `${name}: PR ${r.url}${r.committed ? ' (pending changes committed)' : ''}`));
    },
    openSpawnPrompt() {
      store.dispatch({ type: 'openDialog', dialog: { kind: 'prompt', purpose: 'spawn', vm: null, value: '', completions: [], choice: 0 } });
      const branches = service.branches?.bind(service);
      if (!branches) return;
      branches(d.cwd).then(
        (list) => {
          const dlg = store.getState().dialog;
          if (dlg?.kind === 'prompt' && dlg.purpose === 'spawn') store.dispatch({ type: 'openDialog', dialog: { ...dlg, completions: list } });
        },
        () => {},
      );
    },
    openExecPrompt(name) {
      store.dispatch({ type: 'openDialog', dialog: { kind: 'prompt', purpose: 'exec', vm: name, value: '', completions: [], choice: 0 } });
    },
    exec(name, commandLine) {
      let argv: string[];
      try {
        argv = splitCommandLine(commandLine);
      } catch (e) {
        msg(`Not run: ${(e as Error).message}. Fix the quoting and try again.`, 'error');
        return;
      }
      if (argv.length === 0) {
        msg('No command given: nothing run.', 'warn');
        return;
      }
      // Output goes to the log pane of that VM, line by line.
      const s = store.getState();
      if (s.selected !== name) store.dispatch({ type: 'select', name });
      if (!store.getState().logPane) store.dispatch({ type: 'toggleLogPane' });
      const out = (() => {
        let buf = '';
        return {
          push(chunk: Uint8Array | string) {
            buf += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
            const lines = buf.split('\n');
            buf = lines.pop() ?? '';
            if (lines.length) store.dispatch({ type: 'logNote', vm: name, lines });
          },
          flush() {
            if (buf) store.dispatch({ type: 'logNote', vm: name, lines: [buf] });
            buf = '';
          },
        };
      })();
      {
        store.dispatch({ type: 'logNote', vm: name, lines: [`$ ${commandLine}`] });
        run(name, 'exec', `running ${argv[0]}`, () =>
          service.exec(name, argv, { stdout: (c) => out.push(c), stderr: (c) => out.push(c), timeoutMs: 10 * 60_000 }).then((code) => {
            out.flush();
            store.dispatch({ type: 'logNote', vm: name, lines: [`[exit ${code}]`] });
            return `${name}: \`${commandLine}\` exited ${code}.`;
          }),
        );
      }
    },
    enter(name, agent) {
      const vm = store.getState().vms.find((v) => v.name === name);
      if (vm && vm.status !== 'running') {
        msg(`${name} is ${vm.status}; press r to start it first.`, 'warn');
        return;
      }
      service
        .enterCommand(name, { agent, term: process.env['TERM'] })
        .then((cmd) => d.handoff(cmd, `${name}${agent ? ' (agent)' : ''}`))
        .then(
          (code) => {
            msg(`Back from ${name}${code === 0 ? '' : ` (ssh exited ${code})`}.`, code === 0 ? 'info' : 'warn');
            d.live.poke();
            d.live.refreshChanges(name);
          },
          (e: unknown) => {
            const err = toTkError(e);
            msg(`Cannot enter ${name}: ${err.message}${err.hint ? ` ${err.hint}` : ''}`, 'error');
          },
        );
    },
    quit() {
      store.dispatch({ type: 'quit' });
    },
  };
}
