import { describe, expect, it } from 'vitest';
import { createStore, initialState, isBusy, listing, parseMarker, phaseSummary, reducer, type State } from '../../src/tui/store.js';
import { makeVm } from '../fakes/fake-service.js';

const NOW = Date.parse('2026-11-25T08:00:00Z');
const vms = Array.from({ length: 6 }, (_, i) => makeVm(i, {}, NOW));

function loaded(): State {
  return reducer(initialState(NOW), { type: 'listLoaded', vms });
}

describe('reducer', () => {
  it('selects the first row on first load and sorts by state then name', () => {
    const s = loaded();
    const names = listing(s).names;
    expect(s.loaded).toBe(true);
    expect(s.selected).toBe(names[0]);
    const statuses = names.map((n) => vms.find((v) => v.name === n)?.status);
    expect(statuses).toEqual(['running', 'running', 'running', 'running', 'suspended', 'stopped']);
  });

  it('returns the same state object when a poll brings identical data (no re-render)', () => {
    const s = loaded();
    const again = reducer(s, { type: 'listLoaded', vms: vms.map((v) => ({ ...v })) });
    expect(again).toBe(s);
  });

  it('keeps unchanged VM objects when one VM changes (structural sharing)', () => {
    const s = loaded();
    const changed = vms.map((v, i) => (i === 2 ? { ...v, status: 'running' as const } : { ...v }));
    const next = reducer(s, { type: 'listLoaded', vms: changed });
    expect(next).not.toBe(s);
    expect(next.vms[0]).toBe(s.vms[0]);
    expect(next.vms[2]).not.toBe(s.vms[2]);
  });

  it('moves, pages and jumps within bounds', () => {
    let s = loaded();
    const names = listing(s).names;
    s = reducer(s, { type: 'move', delta: 1 });
    expect(s.selected).toBe(names[1]);
    s = reducer(s, { type: 'move', delta: -10 });
    expect(s.selected).toBe(names[0]);
    s = reducer(s, { type: 'moveTo', where: 'bottom' });
    expect(s.selected).toBe(names[5]);
    s = reducer(s, { type: 'pageSize', rows: 3 });
    s = reducer(s, { type: 'page', dir: -1 });
    expect(s.selected).toBe(names[3]);
  });

  it('keeps the cursor in place when the selected VM disappears', () => {
    let s = loaded();
    s = reducer(s, { type: 'move', delta: 2 });
    const gone = s.selected;
    const names = listing(s).names;
    s = reducer(s, { type: 'listLoaded', vms: vms.filter((v) => v.name !== gone) });
    expect(s.selected).toBe(names[3]);
  });

  it('filters as you type over branch, repo, state and agent, and Esc clears', () => {
    let s = loaded();
    s = reducer(s, { type: 'filterStart' });
    for (const ch of 'infra') s = reducer(s, { type: 'filterInput', text: ch });
    expect(listing(s).names.every((n) => n.includes('infra'))).toBe(true);
    expect(listing(s).names.length).toBe(2);
    expect(listing(s).names).toContain(s.selected);
    s = reducer(s, { type: 'filterBackspace' });
    expect(s.filter).toBe('infr');
    s = reducer(s, { type: 'filterCancel' });
    expect(listing(s).names.length).toBe(6);
    expect(s.filtering).toBe(false);
  });

  it('cycles the sort and groups by repository', () => {
    let s = loaded();
    s = reducer(s, { type: 'cycleSort' });
    expect(s.sort).toBe('lastUsed');
    const names = listing(s).names;
    const used = names.map((n) => vms.find((v) => v.name === n)?.last_used ?? '');
    expect([...used].sort().reverse()).toEqual(used);
    s = reducer(s, { type: 'cycleSort' });
    expect(s.sort).toBe('name');
    s = reducer(s, { type: 'toggleGroup' });
    const l = listing(s);
    expect(l.groups.map((g) => g.repo)).toEqual(['api', 'infra', 'web']);
    expect(l.groups.reduce((n, g) => n + g.count, 0)).toBe(6);
  });

  it('jumps to the next VM waiting for input, wrapping around, and says so when none', () => {
    let s = loaded();
    const none = reducer(s, { type: 'nextWaiting' });
    expect(none.message?.text).toMatch(/No VM is waiting/);
    const running = listing(s).names.filter((n) => vms.find((v) => v.name === n)?.status === 'running');
    s = reducer(s, { type: 'agent', name: running[1] as string, status: { state: 'waiting', at: '2026-11-25T08:00:00Z' } });
    s = reducer(s, { type: 'agent', name: running[2] as string, status: { state: 'waiting', at: '2026-11-25T08:00:00Z' } });
    s = reducer(s, { type: 'nextWaiting' });
    expect(s.selected).toBe(running[1]);
    s = reducer(s, { type: 'nextWaiting' });
    expect(s.selected).toBe(running[2]);
    s = reducer(s, { type: 'nextWaiting' });
    expect(s.selected).toBe(running[1]);
  });

  it('ignores the agent state of a VM that is not running', () => {
    let s = loaded();
    const stopped = vms.find((v) => v.status === 'stopped')?.name as string;
    s = reducer(s, { type: 'agent', name: stopped, status: { state: 'waiting', at: 'x' } });
    expect(reducer(s, { type: 'nextWaiting' }).message?.text).toMatch(/No VM is waiting/);
  });

  it('tracks actions with progress, and a failure stays in the row until the next action', () => {
    let s = loaded();
    const n = vms[0]?.name as string;
    s = reducer(s, { type: 'opStart', name: n, kind: 'halt', now: NOW });
    expect(isBusy(s)).toBe(true);
    s = reducer(s, { type: 'opProgress', name: n, phase: 'boot', message: 'booting' });
    expect(s.ops[n]?.phase).toBe('boot');
    s = reducer(s, { type: 'opEnd', name: n, ok: false, message: 'halt failed: tart said no', now: NOW });
    expect(s.ops[n]).toBeUndefined();
    expect(s.failures[n]).toBe('halt failed');
    expect(s.message?.level).toBe('error');
    s = reducer(s, { type: 'opStart', name: n, kind: 'resume', now: NOW });
    expect(s.failures[n]).toBeUndefined();
  });

  it('drives the spawn prompt with completion', () => {
    let s = loaded();
    s = reducer(s, { type: 'openDialog', dialog: { kind: 'prompt', purpose: 'spawn', vm: null, value: '', completions: ['main', 'feat/login', 'feat/logout', 'fix/x'], choice: 0 } });
    for (const ch of 'feat/lo') s = reducer(s, { type: 'promptInput', text: ch });
    s = reducer(s, { type: 'promptChoice', delta: 1 });
    s = reducer(s, { type: 'promptComplete' });
    expect(s.dialog?.kind === 'prompt' && s.dialog.value).toBe('feat/logout');
  });

  it('log: follow, scroll pauses follow and counts new lines, ring buffer bound, search', () => {
    let s = reducer(loaded(), { type: 'pageSize', rows: 5 });
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    s = reducer(s, { type: 'logReset', vm: 'a', lines, truncated: false });
    expect(s.log.follow).toBe(true);
    s = reducer(s, { type: 'logScroll', delta: -3 });
    expect(s.log.follow).toBe(false);
    expect(s.log.offset).toBe(12);
    s = reducer(s, { type: 'logAppend', vm: 'a', lines: ['new 1', 'new 2'] });
    expect(s.log.unseen).toBe(2);
    s = reducer(s, { type: 'logAppend', vm: 'other', lines: ['ignored'] });
    expect(s.log.lines.length).toBe(22);
    s = reducer(s, { type: 'logFollow' });
    expect(s.log.unseen).toBe(0);
    s = reducer(s, { type: 'logSearchStart' });
    for (const ch of 'line 3') s = reducer(s, { type: 'logSearchInput', text: ch });
    s = reducer(s, { type: 'logSearchEnd', keep: true });
    expect(s.log.follow).toBe(false);
    expect(s.log.lines[s.log.offset]).toBe('line 3');
    const big = reducer(s, { type: 'logReset', vm: 'a', lines: Array.from({ length: 6000 }, (_, i) => `${i}`), truncated: false });
    expect(big.log.lines.length).toBe(5000);
    expect(big.log.truncated).toBe(true);
    expect(big.log.lines[0]).toBe('1000');
  });
});

describe('phase markers', () => {
  it('parses the contract format', () => {
    expect(parseMarker('@@tk phase=boot event=end result=failed at=2026-11-25T08:00:00Z ms=1200 msg=no IP after 120 s')).toEqual({
      phase: 'boot',
      event: 'end',
      result: 'failed',
      ms: 1200,
      msg: 'no IP after 120 s',
    });
    expect(parseMarker('@@tk phase=ip event=start at=2026-11-25T08:00:00Z')?.event).toBe('start');
    expect(parseMarker('plain output @@tk phase=x event=start')).toBeNull();
  });

  it('summarizes the latest run', () => {
    const run = (r: string) => [`@@tk phase=clone event=start at=t`, `@@tk phase=clone event=end result=ok at=t ms=10`, `@@tk phase=boot event=start at=t`, `@@tk phase=boot event=end result=${r} at=t ms=5 msg=boom`];
    const first = phaseSummary([], run('failed'));
    expect(first.map((p) => `${p.phase}:${p.result}`)).toEqual(['clone:ok', 'boot:failed']);
    const second = phaseSummary(first, [...run('ok').slice(0, 3)]);
    expect(second.map((p) => `${p.phase}:${p.result}`)).toEqual(['clone:ok', 'boot:running']);
  });
});

describe('store', () => {
  it('coalesces a burst of changes into one notification', async () => {
    const store = createStore(initialState(NOW));
    let calls = 0;
    store.subscribe(() => calls++);
    store.dispatch({ type: 'listLoaded', vms });
    for (const v of vms) store.dispatch({ type: 'changes', name: v.name, changes: { changed: 1, ahead: 0, behind: 0 } });
    expect(calls).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(1);
    for (const v of vms) store.dispatchBackground({ type: 'agent', name: v.name, status: { state: 'idle', at: 'x' } });
    await new Promise((r) => setTimeout(r, 60));
    expect(calls).toBe(2);
    expect(Object.keys(store.getState().changes).length).toBe(vms.length);
  });

  it('notifies subscribers only when the state changes', () => {
    const store = createStore(initialState(NOW), { batch: false });
    let calls = 0;
    const off = store.subscribe(() => calls++);
    store.dispatch({ type: 'listLoaded', vms });
    store.dispatch({ type: 'listLoaded', vms: vms.map((v) => ({ ...v })) });
    store.dispatch({ type: 'tick', now: NOW });
    expect(calls).toBe(1);
    off();
    store.dispatch({ type: 'move', delta: 1 });
    expect(calls).toBe(1);
  });
});

describe('log lines from the guest', () => {
  it('reach the pane without terminal control sequences; phase markers stay intact for the summary', () => {
    let s: State = reducer(initialState(), { type: 'logReset', vm: 'vm1', lines: [], truncated: false });
    s = reducer(s, {
      type: 'logAppend',
      vm: 'vm1',
      lines: ['\u001b]0;pwned title\u0007plain \u001b[31mred\u001b[0m', '@@tk phase=boot event=end result=ok at=2026-11-25T08:00:00Z ms=12'],
    });
    expect(s.log.lines).toEqual(['plain red', '@@tk phase=boot event=end result=ok at=2026-11-25T08:00:00Z ms=12']);
    expect(s.log.phases.map((p) => p.phase)).toContain('boot');
    s = reducer(s, { type: 'logNote', vm: 'vm1', lines: ['exec says \u001b]52;c;Zm9v\u0007hi'] });
    expect(s.log.lines.at(-1)).toBe('exec says hi');
  });

  it('error texts (row failures, message line) lose their control sequences too', () => {
    let s = reducer(initialState(), { type: 'message', text: 'spawn failed: \u001b]0;x\u0007boom', level: 'error', now: 1 });
    expect(s.message?.text).toBe('spawn failed: boom');
    const vm = { ...makeVm(0, {}, NOW), provision_result: 'failed' as const, provision_error: 'exit 1: \u001b[2Jgone' };
    s = reducer(s, { type: 'listLoaded', vms: [vm] });
    expect(s.vms[0]?.provision_error).toBe('exit 1: gone');
  });
});
