import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { DestroyDialog } from '../../components/DestroyDialog.js';
import { LogPane } from '../../components/LogPane.js';
import { VmTable } from '../../components/VmTable.js';
import { ThemeContext } from '../../hooks/useTheme.js';
import { dashboardConfigFrom } from '../../src/tui/config.js';
import { layoutColumns } from '../../src/tui/format.js';
import { initialState, reducer } from '../../src/tui/store.js';
import { TkError } from '../../src/core/errors.js';
import { makeVm } from '../fakes/fake-service.js';
import { mount, NOW, stripAnsi, waitForFrame, type Mounted } from './helpers.js';

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
});

/** Each visible character of a rendered line and whether SGR inverse (7 on, 27/0 off) was on. */
function inverseCells(line: string): { ch: string; inverse: boolean }[] {
  const out: { ch: string; inverse: boolean }[] = [];
  let inverse = false;
  for (const m of line.matchAll(/\x1b\[([0-9;]*)m|([^\x1b])/g)) {
    if (m[2] !== undefined) out.push({ ch: m[2], inverse });
    else for (const code of (m[1] || '0').split(';')) inverse = code === '7' ? true : code === '27' || code === '0' ? false : inverse;
  }
  return out;
}

describe('VmTable', () => {
  it('renders one line per VM with the selected row marked, truncating instead of wrapping', async () => {
    const vms = [makeVm(0, { branch: 'feat/a-very-long-branch-name-that-does-not-fit-in-the-column-at-all' }, NOW), makeVm(1, {}, NOW)];
    const r = render(
      <VmTable
        columns={layoutColumns(100)}
        height={5}
        empty="none"
        rows={vms.map((vm, i) => ({ vm, changes: { changed: 2, ahead: 1, behind: 0 }, agent: i === 1 ? 'waiting' : 'working', op: undefined, failure: undefined, selected: i === 0, now: NOW }))}
      />,
    );
    const f = await waitForFrame(() => stripAnsi(r.lastFrame() ?? ''), 'BRANCH');
    const lines = f.split('\n').filter((l) => l.trim());
    expect(lines.length).toBe(3);
    expect(lines[1]).toMatch(/^› feat\/a-very-lo.*… +running/);
    expect(lines[2]).toMatch(/^! feat\/task-001 .*◆ WAITING/);
    expect(lines[1]).toContain('2 files ↑1');
    r.unmount();
  });

  it('shows spinner and elapsed time for a running action, and a failure reason', async () => {
    const vm = makeVm(0, {}, NOW);
    const r = render(
      <VmTable
        columns={layoutColumns(100)}
        height={3}
        empty="none"
        rows={[
          { vm, changes: null, agent: 'not running', op: { kind: 'spawn', phase: 'boot', message: 'boot', startedAt: Date.now() - 3000 }, failure: undefined, selected: false, now: NOW },
          { vm: makeVm(1, {}, NOW), changes: null, agent: 'not running', op: undefined, failure: 'halt failed', selected: false, now: NOW },
        ]}
      />,
    );
    await waitForFrame(() => stripAnsi(r.lastFrame() ?? ''), /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] boot 3s/);
    expect(stripAnsi(r.lastFrame() ?? '')).toMatch(/✗ halt failed/);
    r.unmount();
  });
  it('colours cells, draws the selection as one inverse bar, and under NO_COLOR keeps only attributes', () => {
    const rows = [makeVm(0, {}, NOW), makeVm(1, {}, NOW)].map((vm, i) => ({ vm, changes: null, agent: 'working' as const, op: undefined, failure: undefined, selected: i === 0, now: NOW }));
    const table = (color: boolean) =>
      render(
        <ThemeContext.Provider value={{ color, ascii: false }}>
          <VmTable columns={layoutColumns(100)} height={3} empty="none" rows={rows} />
        </ThemeContext.Provider>,
      );
    const colored = table(true);
    const [, selected, other] = (colored.lastFrame() ?? '').split('\n');
    expect(other).toContain('\x1b[32m● working\x1b[39m');
    // Selected: every span is inverse, gaps included, so no plain cell breaks the bar.
    const cells = inverseCells(selected ?? '');
    expect(cells.length).toBeGreaterThan(60);
    expect(cells.filter((c) => !c.inverse).map((c) => c.ch)).toEqual([]);
    expect(inverseCells(other ?? '').some((c) => c.inverse)).toBe(false);
    colored.unmount();
    const mono = table(false);
    const f = mono.lastFrame() ?? '';
    expect(f).not.toMatch(/\x1b\[3[0-9]m/);
    expect(f.split('\n')[1]).toContain('\x1b[7m');
    mono.unmount();
  });
});

describe('DestroyDialog', () => {
  it('lists what will be lost', () => {
    const r = render(
      <DestroyDialog
        name="tachikoma-x"
        width={100}
        error={null}
        plan={{ name: 'tachikoma-x', vmExists: true, diskSizeGb: 12, worktree: '/w/x', worktreeIsMain: false, uncommittedChanges: 3, unpushedCommits: 2, branch: 'feat/x' }}
      />,
    );
    const f = stripAnsi(r.lastFrame() ?? '');
    expect(f).toContain('delete VM tachikoma-x (12 GB disk)');
    expect(f).toContain('remove worktree /w/x');
    expect(f).toContain('LOSE 3 uncommitted changes');
    expect(f).toContain('LOSE 2 unpushed commits on feat/x');
    expect(f).toContain('destroy and discard the changes');
    r.unmount();
  });
});

describe('LogPane', () => {
  it('shows the phase summary and the end of the log when following', () => {
    let s = reducer(initialState(NOW), { type: 'pageSize', rows: 5 });
    s = reducer(s, {
      type: 'logReset',
      vm: 'v',
      truncated: true,
      lines: ['@@tk phase=clone event=start at=t', '@@tk phase=clone event=end result=ok at=t ms=1500', '@@tk phase=boot event=start at=t', ...Array.from({ length: 30 }, (_, i) => `out ${i}`)],
    });
    const r = render(<LogPane log={s.log} height={8} width={100} title="log v" />);
    const f = stripAnsi(r.lastFrame() ?? '');
    expect(f).toContain('✓clone 1.5s');
    expect(f).toContain('…boot');
    expect(f).toContain('out 29');
    expect(f).not.toContain('out 20');
    expect(f).toContain('earlier lines not loaded');
    r.unmount();
  });
});

describe('App (connected dashboard)', () => {
  it('shows header counts, rows and details; moves with j/k', async () => {
    m = mount();
    const f = await m.waitFor('feat/task-000');
    expect(f).toMatch(/6 VMs: 4 running · 1 suspended · 1 stopped/);
    expect(f).toMatch(/› feat\/task-000/);
    m.press('j');
    await m.waitFor(/› feat\/task-005/);
    m.press('k');
    await m.waitFor(/› feat\/task-000/);
    expect(m.frame()).toContain('worktree');
  });

  it('highlights a VM waiting for input in the header and jumps to it with Tab', async () => {
    m = mount();
    await m.waitFor('feat/task-000');
    m.store.dispatch({ type: 'agent', name: 'tachikoma-web-feat-task-004', status: { state: 'waiting', at: '2026-11-25T08:00:00Z' } });
    await m.waitFor('1 waiting for input');
    m.press('\t');
    await m.waitFor(/› feat\/task-004 .*◆ WAITING/);
  });

  it('filters with / and restores with Esc', async () => {
    m = mount();
    await m.waitFor('feat/task-000');
    m.press('/');
    await m.waitFor('filter: ');
    m.press('infra');
    await m.waitFor((f) => f.includes('feat/task-002') && !f.includes('feat/task-000'));
    m.press('\r');
    m.press('\x1b');
    await m.waitFor((f) => f.includes('feat/task-000') && !f.includes('filter:'));
  });

  it('opens the help overlay with every action and closes it', async () => {
    m = mount();
    await m.waitFor('feat/task-000');
    m.press('?');
    const f = await m.waitFor('Keys (remap in config');
    for (const d of ['spawn a VM for a branch', 'destroy (asks first)', 'next VM waiting for input', 'enter and start the agent']) expect(f).toContain(d);
    m.press('?');
    await m.waitFor((x) => !x.includes('Keys (remap'));
  });

  it('destroys after confirmation; n cancels', async () => {
    m = mount();
    await m.waitFor('feat/task-000');
    m.press('D');
    await m.waitFor('remove worktree');
    m.press('n');
    await m.waitFor((f) => !f.includes('Destroy '));
    expect(m.service.vms.length).toBe(6);
    m.press('D');
    await m.waitFor('remove worktree');
    m.press('y');
    await m.waitFor('tachikoma-api-feat-task-000 destroyed');
    await m.waitFor((f) => !f.includes('feat/task-000 '));
    expect(m.service.vms.length).toBe(5);
  });

  it('spawns from the prompt with branch completion and shows phases in a row', async () => {
    m = mount();
    await m.waitFor('feat/task-000');
    m.press('n');
    await m.waitFor('feat/logout');
    m.press('feat/logo');
    m.press('\t');
    await m.waitFor('> feat/logout');
    m.press('\r');
    await m.waitFor(/feat\/logout .*(worktree|clone|configure|boot|ip|ssh)/);
    await m.waitFor('tachikoma-fake-feat-logout: created');
  });

  it('shows a failure in the row and the message line without crashing', async () => {
    m = mount();
    await m.waitFor('feat/task-000');
    m.service.failNext('halt', new TkError('tart', 'tart stop failed: VM is locked', { hint: 'Close other tart processes.' }));
    m.press('h');
    await m.waitFor('halt tachikoma-api-feat-task-000: tart stop failed: VM is locked Close other tart processes.');
    await m.waitFor(/feat\/task-000 .*✗ halt failed/);
  });

  it('runs several actions at once, each with progress in its row', async () => {
    m = mount();
    await m.waitFor('feat/task-000');
    m.service.opts.stepMs = 300;
    m.press('h');
    m.press('j');
    m.press('h');
    await m.waitFor((f) => (f.match(/halt [\dmhs]+/g) ?? []).length === 2);
    expect(Object.keys(m.store.getState().ops).sort()).toEqual(['tachikoma-api-feat-task-000', 'tachikoma-infra-feat-task-005']);
    await m.waitFor((f) => f.includes('halted.'));
    await m.waitFor(() => m!.service.vms.filter((v) => v.status === 'stopped').length === 3);
  });

  it('hands enter to the terminal runner with the service command; a stopped VM asks to start first', async () => {
    m = mount();
    await m.waitFor('feat/task-000');
    m.press('e');
    await m.waitFor('Back from tachikoma-api-feat-task-000');
    expect(m.handoffs).toEqual([{ file: 'bash', args: ['--norc', '-i'] }]);
    m.press('G');
    await m.waitFor(/› feat\/task-002 +stopped/);
    m.press('e');
    await m.waitFor('is stopped; press r to start it first');
  });

  it('p without engine support says what to do; with it, shows the PR URL', async () => {
    m = mount();
    await m.waitFor('feat/task-000');
    m.press('p');
    await m.waitFor('TkService.pr is missing');
    m.unmount();
    m = mount({ withPr: true });
    await m.waitFor('feat/task-000');
    m.press('p');
    await m.waitFor('PR https://example.invalid/pr/tachikoma-api-feat-task-000');
  });

  it('exec shows its output in the log pane', async () => {
    m = mount();
    await m.waitFor('feat/task-000');
    m.press('x');
    await m.waitFor('Run in tachikoma-api-feat-task-000');
    m.press('ls "a b"');
    m.press('\r');
    await m.waitFor('ran: ls | a b');
    await m.waitFor('[exit 0]');
  });

  it('honours remapped keys', async () => {
    m = mount({ config: dashboardConfigFrom({ keys: { destroy: 'X', down: ['down', 'n'], spawn: 'N' } }) });
    await m.waitFor('feat/task-000');
    m.press('n');
    await m.waitFor(/› feat\/task-005/);
    expect(m.frame()).toContain('X destroy');
    m.press('X');
    await m.waitFor('Destroy tachikoma');
  });

  it('uses no colour codes under NO_COLOR, colours otherwise', async () => {
    m = mount({ theme: { color: false, ascii: false } });
    await m.waitFor('feat/task-000');
    expect(m.frame()).not.toMatch(/\x1b\[3[0-9]m/);
    m.unmount();
    m = mount({ theme: { color: true, ascii: false } });
    await m.waitFor('feat/task-000');
    // Ink's colour output depends on chalk's level in the test process; at least the theme is honoured.
    expect(m.frame().length).toBeGreaterThan(0);
  });
});

describe('App grouping and sorting', () => {
  it('groups by repository with headings and cycles the sort with o', async () => {
    const mm = mount();
    m = mm;
    await mm.waitFor('feat/task-000');
    mm.press('R');
    const f = await mm.waitFor('grouped by repo');
    const lines = f.split('\n');
    const api = lines.findIndex((l) => l.includes('▸ api'));
    const infra = lines.findIndex((l) => l.includes('▸ infra'));
    const web = lines.findIndex((l) => l.includes('▸ web'));
    expect(api).toBeGreaterThan(0);
    expect(infra).toBeGreaterThan(api);
    expect(web).toBeGreaterThan(infra);
    expect(lines.slice(api + 1, infra).every((l) => l.includes(' api '))).toBe(true);
    mm.press('o');
    await mm.waitFor('sort: last used');
    mm.press('o');
    await mm.waitFor('sort: name');
  });
});

describe('App with many VMs', () => {
  it('scrolls so the selection is always visible', async () => {
    const mm = mount({ count: 80, rows: 30 });
    m = mm;
    await mm.waitFor('feat/task-000');
    mm.press('G');
    const f = await mm.waitFor(/› feat\/task-\d+ +stopped/);
    expect(f).not.toContain('feat/task-000 ');
    mm.press('g');
    await mm.waitFor(/› feat\/task-000/);
    mm.press('\x1b[6~'); // PgDn
    await mm.waitFor((x) => !x.includes('› feat/task-000') && /› feat\/task-\d+/.test(x));
  });
});
