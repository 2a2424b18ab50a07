// The live layer on the fake service with in-memory watcher/tail stand-ins.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DASHBOARD_CONFIG } from '../../src/tui/config.js';
import { startLive, type Live, type LiveDeps } from '../../src/tui/live.js';
import { createStore, initialState, type AgentStatus } from '../../src/tui/store.js';
import { FakeService, makeVm } from '../fakes/fake-service.js';
import { TkError } from '../../src/core/errors.js';

const dirs: string[] = [];
const lives: Live[] = [];
afterEach(async () => {
  for (const l of lives.splice(0)) await l.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function setup(over: Partial<typeof DEFAULT_DASHBOARD_CONFIG> = {}, svcOpts: { count?: number } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'tk-live-'));
  dirs.push(home);
  const service = new FakeService({ home, vms: Array.from({ length: svcOpts.count ?? 3 }, (_, i) => makeVm(i)), stepMs: 5 });
  const store = createStore(initialState(), { batch: false });
  const triggers = new Map<string, () => void>();
  const statuses = new Map<string, AgentStatus>();
  let statusCb: ((dir: string, file: string) => void) | null = null;
  const tails: string[] = [];
  const deps: LiveDeps = {
    // Like the chokidar adapter: one refresh when the initial scan is ready, then one per event burst.
    watchWorktree: (root, onChange) => {
      triggers.set(root, onChange);
      const ready = setTimeout(onChange, 5);
      return {
        close: () => {
          clearTimeout(ready);
          triggers.delete(root);
        },
      };
    },
    watchDirs: (onFile) => {
      statusCb = onFile;
      return { set: () => {}, close: () => {} };
    },
    tailLog: (path, h) => {
      tails.push(path);
      h.onReset(['@@tk phase=boot event=start at=t', 'hello'], false);
      return { close: () => {} };
    },
    readAgentStatus: async (path) => statuses.get(path) ?? null,
    agentStatusPath: (name) => `/status/${name}/agent.json`,
    freeDiskGb: async () => 42,
  };
  const config = { ...DEFAULT_DASHBOARD_CONFIG, pollActiveMs: 200, pollIdleMs: 500, pollTimeoutMs: 1000, ...over };
  const live = startLive(service, store, config, deps);
  lives.push(live);
  return { service, store, live, triggers, statuses, tails, fire: (dir: string, file: string) => statusCb?.(dir, file) };
}

describe('live feeds', () => {
  it('polls, fills the board, host disk and changes, and polls slowly when idle', async () => {
    const t = setup();
    await until(() => t.store.getState().loaded);
    await until(() => Object.keys(t.store.getState().changes).length === 3);
    await until(() => t.store.getState().hostFreeDiskGb === 42);
    const calls = t.service.listCalls;
    await new Promise((r) => setTimeout(r, 700));
    expect(t.service.listCalls - calls).toBeLessThanOrEqual(2); // idle: every 500 ms
  });

  it('looks at each new worktree once at launch, at most 4 at a time', async () => {
    const t = setup({}, { count: 20 });
    let running = 0;
    let most = 0;
    const perVm = new Map<string, number>();
    const changes = t.service.changes.bind(t.service);
    t.service.changes = async (name) => {
      perVm.set(name, (perVm.get(name) ?? 0) + 1);
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 20));
      try {
        return await changes(name);
      } finally {
        running--;
      }
    };
    await until(() => Object.keys(t.store.getState().changes).length === 20);
    await new Promise((r) => setTimeout(r, 200));
    expect(most).toBeLessThanOrEqual(4);
    // Once each (the watcher's post-scan refresh). The selected row also gets a look when the
    // selection settles and after each poll (commits made in the guest touch only .git).
    const sel = t.store.getState().selected;
    for (const [name, n] of perVm) {
      if (name === sel) expect(n, name).toBeLessThanOrEqual(3);
      else expect(n, name).toBe(1);
    }
    expect(perVm.size).toBe(20);
  });

  it('fetches details and changes for the selection only once it rests', async () => {
    const t = setup({}, { count: 10 });
    await until(() => t.store.getState().loaded);
    await until(() => Object.keys(t.store.getState().details).length === 1);
    const asked: string[] = [];
    const details = t.service.details.bind(t.service);
    t.service.details = (name) => {
      asked.push(name);
      return details(name);
    };
    const before = t.service.changesCalls;
    for (let i = 0; i < 8; i++) {
      t.store.dispatch({ type: 'move', delta: 1 });
      await new Promise((r) => setTimeout(r, 20));
    }
    const last = t.store.getState().selected;
    await until(() => asked.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(asked).toEqual([last]);
    expect(t.service.changesCalls - before).toBeLessThanOrEqual(2); // the rested selection (and a poll's look)
  });

  it('a worktree event refreshes that VM only', async () => {
    const t = setup();
    await until(() => t.triggers.size === 3);
    const vm = t.service.vms[1]!;
    t.service.setChanges(vm.name, { changed: 9, ahead: 0, behind: 0 });
    t.triggers.get(vm.worktree!)!();
    await until(() => t.store.getState().changes[vm.name]?.changed === 9);
  });

  it('reads agent status when its file changes', async () => {
    const t = setup();
    await until(() => t.store.getState().loaded);
    const vm = t.service.vms[0]!;
    t.statuses.set(`/status/${vm.name}/agent.json`, { state: 'waiting', at: '2026-11-25T08:00:00Z' });
    t.fire(`/status/${vm.name}`, 'agent.json');
    await until(() => t.store.getState().agents[vm.name]?.state === 'waiting');
  });

  it('a hung list shows a warning, never overlaps, and recovers', async () => {
    const t = setup({ pollTimeoutMs: 1000, pollIdleMs: 500 });
    await until(() => t.store.getState().loaded);
    t.service.hangList = true;
    t.live.poke();
    await until(() => t.store.getState().pollWarning !== null, 3000);
    expect(t.store.getState().pollWarning).toMatch(/tart has not answered for 1 s/);
    const calls = t.service.listCalls;
    await new Promise((r) => setTimeout(r, 600));
    expect(t.service.listCalls).toBe(calls); // no second call while the first hangs
    t.service.hangList = false;
    await until(() => t.store.getState().pollWarning === null, 3000);
  });

  it('a failing list shows what happened and keeps the last rows', async () => {
    const t = setup();
    await until(() => t.store.getState().loaded);
    t.service.failNext('list', new TkError('tart', 'tart list failed: exit 1', { hint: 'Is Tart installed?' }));
    t.live.poke();
    await until(() => t.store.getState().pollWarning !== null);
    expect(t.store.getState().pollWarning).toContain('tart list failed: exit 1 (Is Tart installed?)');
    expect(t.store.getState().vms.length).toBe(3);
  });

  it('tails the selected VM log only while the log pane is open', async () => {
    const t = setup();
    await until(() => t.store.getState().loaded);
    expect(t.tails.length).toBe(0);
    t.store.dispatch({ type: 'toggleLogPane' });
    await until(() => t.tails.length === 1);
    expect(t.tails[0]).toBe(t.service.logPath(t.store.getState().selected!));
    expect(t.store.getState().log.phases[0]?.phase).toBe('boot');
  });

  it('fetches details once per VM, again after its state changed', async () => {
    const t = setup();
    let calls = 0;
    const orig = t.service.details.bind(t.service);
    t.service.details = async (n: string) => {
      calls++;
      return orig(n);
    };
    await until(() => t.store.getState().loaded);
    const sel = t.store.getState().selected!;
    await until(() => calls === 1);
    t.live.poke();
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toBe(1);
    await t.service.halt(sel);
    t.live.poke();
    await until(() => calls === 2);
  });
});
