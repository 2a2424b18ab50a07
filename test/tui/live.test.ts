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
    watchWorktree: (root, onChange) => {
      triggers.set(root, onChange);
      return { close: () => void triggers.delete(root) };
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
