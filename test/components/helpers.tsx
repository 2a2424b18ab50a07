// Mounting the connected dashboard for component tests (ink-testing-library), plus a waitFor
// that polls the last frame (never assert synchronously after input).
import { render } from 'ink-testing-library';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../src/tui/App.js';
import { DEFAULT_DASHBOARD_CONFIG, type DashboardConfig } from '../../src/tui/config.js';
import { createController, type Controller } from '../../src/tui/controller.js';
import { createStore, initialState, type Store } from '../../src/tui/store.js';
import { StoreContext } from '../../hooks/useStore.js';
import { ThemeContext, type Theme } from '../../hooks/useTheme.js';
import { FakeService, makeVm } from '../fakes/fake-service.js';
import type { InteractiveCommand } from '../../src/core/service.js';

export const NOW = Date.parse('2026-11-25T08:00:00Z');

export interface Mounted {
  store: Store;
  service: FakeService;
  controller: Controller;
  handoffs: InteractiveCommand[];
  pokes: number;
  frame(): string;
  press(s: string): void;
  waitFor(pred: string | RegExp | ((f: string) => boolean), ms?: number): Promise<string>;
  unmount(): void;
}

export function stripAnsi(s: string): string {
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}

export async function waitForFrame(get: () => string, pred: string | RegExp | ((f: string) => boolean), ms = 3000): Promise<string> {
  const test = typeof pred === 'string' ? (f: string) => f.includes(pred) : pred instanceof RegExp ? (f: string) => pred.test(f) : pred;
  const end = Date.now() + ms;
  for (;;) {
    const f = get();
    if (test(f)) return f;
    if (Date.now() > end) throw new Error(`waitFor ${String(pred)} timed out; last frame:\n${f}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function mount(opts: { count?: number; config?: DashboardConfig; theme?: Theme; withPr?: boolean; rows?: number } = {}): Mounted {
  process.env['LINES'] = String(opts.rows ?? 40);
  process.env['COLUMNS'] = '100';
  const home = mkdtempSync(join(tmpdir(), 'tk-comp-'));
  const vms = Array.from({ length: opts.count ?? 6 }, (_, i) => makeVm(i, {}, NOW));
  const service = new FakeService({ home, vms, stepMs: 5, withPr: opts.withPr });
  const store = createStore(initialState(NOW));
  store.dispatch({ type: 'listLoaded', vms });
  const handoffs: InteractiveCommand[] = [];
  const m = { pokes: 0 } as Mounted;
  const live = {
    poke: () => {
      m.pokes++;
      void service.list().then((v) => store.dispatch({ type: 'listLoaded', vms: v }));
    },
    refreshChanges: () => {},
  };
  const controller = createController({
    service,
    store,
    live,
    cwd: home,
    handoff: async (cmd) => {
      handoffs.push(cmd);
      return 0;
    },
    now: () => NOW,
  });
  const r = render(
    <StoreContext.Provider value={store}>
      <ThemeContext.Provider value={opts.theme ?? { color: false, ascii: false }}>
        <App controller={controller} config={opts.config ?? DEFAULT_DASHBOARD_CONFIG} />
      </ThemeContext.Provider>
    </StoreContext.Provider>,
  );
  const frame = () => r.lastFrame() ?? '';
  return Object.assign(m, {
    store,
    service,
    controller,
    handoffs,
    frame,
    press: (s: string) => r.stdin.write(s),
    waitFor: (pred: string | RegExp | ((f: string) => boolean), ms?: number) => waitForFrame(() => stripAnsi(frame()), pred, ms),
    unmount: () => r.unmount(),
  });
}
