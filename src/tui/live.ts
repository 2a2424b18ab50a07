// Feeds the store from the outside world: the adaptive `tart list` poller, worktree watchers,
// agent status files, the log tail of the selected VM, cached VM details and host free disk.
// Everything here keeps running while the terminal is handed to ssh (it does not touch React).
import type { TkService } from '../core/service.js';
import type { VmView } from '../core/model.js';
import { toTkError } from '../core/errors.js';
import type { DashboardConfig } from './config.js';
import type { AgentStatus, Store } from './store.js';
import { isBusy } from './store.js';

export interface Closable {
  close(): Promise<void> | void;
}

/** The I/O the live layer needs; run-dashboard passes the real adapters, tests may pass others. */
export interface LiveDeps {
  /** Calls `onChange` once when its initial scan is ready (the first look), then per burst of events. */
  watchWorktree(root: string, onChange: () => void, opts: { debounceMs: number }): Closable;
  /** `file` is '' when a watched directory appears. */
  watchDirs(onFile: (dir: string, file: string) => void): Closable & { set(dirs: readonly string[]): void };
  tailLog(path: string, h: { onReset(lines: string[], truncated: boolean): void; onAppend(lines: string[]): void }): { close(): void };
  readAgentStatus(path: string): Promise<AgentStatus | null>;
  agentStatusPath(name: string): string;
  freeDiskGb(): Promise<number | null>;
}

export interface Live {
  /** Poll soon (after an action), without overlapping a running poll. */
  poke(): void;
  /** Refresh one VM's worktree changes now. */
  refreshChanges(name: string): void;
  stop(): Promise<void>;
}

/** changes() calls running at once (each runs a few git processes). */
const CHANGES_CONCURRENCY = 4;
/** How long the selection must rest before its details and changes are fetched. */
export const SELECTION_SETTLE_MS = 150;

const dirOf = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('/')));

export function startLive(service: TkService, store: Store, config: DashboardConfig, deps: LiveDeps): Live {
  let stopped = false;
  let pollTimer: NodeJS.Timeout | null = null;
  let inflight = false;
  let pokeWanted = false;
  const worktreeWatchers = new Map<string, { path: string; w: Closable }>();
  const changesInflight = new Set<string>();
  const changesAgain = new Set<string>();
  const statusDirs = new Map<string, string>(); // dir -> vm
  const detailsAsked = new Set<string>();
  let tail: { vm: string; close(): void } | null = null;

  const schedule = (ms: number) => {
    if (stopped) return;
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = setTimeout(() => void poll(), ms);
  };

  const nextInterval = () => (isBusy(store.getState()) ? config.pollActiveMs : config.pollIdleMs);

  async function poll(): Promise<void> {
    pollTimer = null;
    if (stopped) return;
    if (inflight) {
      pokeWanted = true;
      return;
    }
    inflight = true;
    const timeout = setTimeout(() => {
      store.dispatchBackground({
        type: 'pollWarning',
        message: `tart has not answered for ${Math.round(config.pollTimeoutMs / 1000)} s; the board shows the last known state and retries when it answers.`,
      });
    }, config.pollTimeoutMs);
    try {
      const vms = await service.list();
      if (stopped) return;
      store.dispatch({ type: 'listLoaded', vms }); // immediate: the first one is the first full frame
      // Watchers, agent status and disk after that frame is on the screen (React renders the
      // dispatch in a microtask; starting ~100 chokidar watchers first delayed it by ~25 ms).
      setImmediate(() => {
        if (!stopped) void afterList(vms);
      });
    } catch (e) {
      if (!stopped) {
        const err = toTkError(e);
        store.dispatchBackground({ type: 'pollWarning', message: `Listing VMs failed: ${err.message}${err.hint ? ` (${err.hint})` : ''}. Retrying.` });
      }
    } finally {
      clearTimeout(timeout);
      inflight = false;
      if (pokeWanted) {
        pokeWanted = false;
        schedule(0);
      } else {
        schedule(nextInterval());
      }
    }
  }

  const lastStatus = new Map<string, VmView['status']>();

  async function afterList(vms: readonly VmView[]): Promise<void> {
    // Details (uptime, resources) are cached per VM; a state change (start, halt) makes them stale.
    for (const v of vms) {
      const prev = lastStatus.get(v.name);
      if (prev !== undefined && prev !== v.status && detailsAsked.delete(v.name)) {
        if (store.getState().selected === v.name) fetchDetails(v.name);
      }
      lastStatus.set(v.name, v.status);
    }
    syncWatchers(vms);
    syncAgentStatus(vms);
    const sel = store.getState().selected;
    if (sel) refreshChanges(sel); // catches commits made in the guest (the watchers ignore .git)
    // Whole GB, as shown: free space moves by a few bytes all the time and must not re-render the board.
    const free = await deps.freeDiskGb().catch(() => null);
    store.dispatchBackground({ type: 'hostDisk', freeGb: free === null ? null : Math.round(free) });
  }

  // At most CHANGES_CONCURRENCY changes() (each a few git processes) at a time, whatever asks:
  // 100 watchers finishing their first scan together must not fork 100 gits at once. A VM asked
  // again while its check runs is checked once more afterwards; one waiting is not queued twice.
  const changesWaiting = new Set<string>();
  function refreshChanges(name: string): void {
    if (stopped) return;
    if (changesInflight.has(name)) {
      changesAgain.add(name);
      return;
    }
    if (changesInflight.size >= CHANGES_CONCURRENCY) {
      changesWaiting.add(name);
      return;
    }
    changesInflight.add(name);
    service
      .changes(name)
      .then(
        (c) => store.dispatchBackground({ type: 'changes', name, changes: c }),
        () => store.dispatchBackground({ type: 'changes', name, changes: null }),
      )
      .finally(() => {
        changesInflight.delete(name);
        if (changesAgain.delete(name)) changesWaiting.add(name);
        const next = changesWaiting.values().next();
        if (!next.done) {
          changesWaiting.delete(next.value);
          refreshChanges(next.value);
        }
      });
  }

  function syncWatchers(vms: readonly VmView[]): void {
    const want = new Map<string, string>();
    for (const v of vms) if (v.worktree) want.set(v.name, v.worktree);
    for (const [name, cur] of worktreeWatchers) {
      if (want.get(name) !== cur.path) {
        void cur.w.close();
        worktreeWatchers.delete(name);
      }
    }
    for (const [name, path] of want) {
      if (worktreeWatchers.has(name)) continue;
      try {
        // The watcher refreshes once its initial scan is ready (a file saved during the scan is
        // no event): that is the first look at a new worktree, so it is not looked at twice.
        worktreeWatchers.set(name, { path, w: deps.watchWorktree(path, () => refreshChanges(name), { debounceMs: config.changesDebounceMs }) });
      } catch {
        // Worktree gone: changes() says so and the row shows "-".
        refreshChanges(name);
      }
    }
  }

  const statusWatcher = deps.watchDirs((dir, file) => {
    if (file !== 'agent.json' && file !== '') return;
    const vm = statusDirs.get(dir);
    if (vm) void readStatus(vm);
  });

  async function readStatus(vm: string): Promise<void> {
    const status = await deps.readAgentStatus(deps.agentStatusPath(vm));
    if (!stopped) store.dispatchBackground({ type: 'agent', name: vm, status });
  }

  function syncAgentStatus(vms: readonly VmView[]): void {
    const before = new Set(statusDirs.values());
    statusDirs.clear();
    for (const v of vms) statusDirs.set(dirOf(deps.agentStatusPath(v.name)), v.name);
    statusWatcher.set([...statusDirs.keys()]);
    // The watcher gives latency; this re-read on every poll is the backstop for events it can miss
    // (a file written while its directory was being added). Unchanged statuses do not re-render.
    for (const v of vms) if (!before.has(v.name) || v.status === 'running') void readStatus(v.name);
  }

  function fetchDetails(name: string): void {
    const details = service.details?.bind(service);
    if (!details) return;
    detailsAsked.add(name);
    details(name).then(
      (d) => store.dispatchBackground({ type: 'details', name, details: d }),
      () => store.dispatchBackground({ type: 'details', name, details: null }),
    );
  }

  // Selected VM: details once (cached) and a fresh look at its changes once the selection rests
  // for SELECTION_SETTLE_MS (holding j over 100 rows starts no process per row passed), the log
  // tail while the log pane is open.
  let lastSel: string | null = null;
  let lastPane = false;
  let settle: NodeJS.Timeout | null = null;
  const unsub = store.subscribe(() => {
    const s = store.getState();
    if (s.selected === lastSel && s.logPane === lastPane) return;
    const moved = s.selected !== lastSel;
    lastSel = s.selected;
    lastPane = s.logPane;
    if (moved) {
      if (settle) clearTimeout(settle);
      settle = null;
      const sel = s.selected;
      if (sel) {
        settle = setTimeout(() => {
          settle = null;
          if (stopped || store.getState().selected !== sel) return;
          if (!detailsAsked.has(sel)) fetchDetails(sel);
          refreshChanges(sel);
        }, SELECTION_SETTLE_MS);
      }
    }
    const wantTail = s.logPane ? s.selected : null;
    if (tail?.vm !== wantTail) {
      tail?.close();
      tail = null;
      if (wantTail) {
        const vm = wantTail;
        const t = deps.tailLog(service.logPath(vm), {
          onReset: (lines, truncated) => store.dispatchBackground({ type: 'logReset', vm, lines, truncated }),
          onAppend: (lines) => store.dispatchBackground({ type: 'logAppend', vm, lines }),
        });
        tail = { vm, close: () => t.close() };
      } else {
        store.dispatchBackground({ type: 'logReset', vm: null, lines: [], truncated: false });
      }
    }
  });

  schedule(0);

  return {
    poke() {
      if (inflight) pokeWanted = true;
      else schedule(0);
    },
    refreshChanges,
    async stop() {
      stopped = true;
      unsub();
      if (pollTimer) clearTimeout(pollTimer);
      if (settle) clearTimeout(settle);
      tail?.close();
      await Promise.all([...worktreeWatchers.values()].map((w) => w.w.close()));
      await statusWatcher.close();
    },
  };
}
