import { describe, expect, it } from 'vitest';
import { TkError } from '../../src/core/errors.js';
import { DEFAULT_DASHBOARD_CONFIG, DEFAULT_KEYS, dashboardConfigFrom, KEY_ACTIONS } from '../../src/tui/config.js';
import { actionFor, keyName } from '../../src/tui/keymap.js';
import { splitCommandLine } from '../../src/tui/controller.js';
import { changesText, fitCell, layoutColumns, relativeTime } from '../../src/tui/format.js';
import { paint } from '../../src/tui/ansi.js';

describe('dashboard config', () => {
  it('defaults cover every action with no key bound twice', () => {
    expect(dashboardConfigFrom(undefined)).toBe(DEFAULT_DASHBOARD_CONFIG);
    const all = KEY_ACTIONS.flatMap((a) => DEFAULT_KEYS[a]);
    expect(new Set(all).size).toBe(all.length);
  });

  it('remaps keys and poll intervals', () => {
    const c = dashboardConfigFrom({ keys: { destroy: 'X', up: ['up', 'i'] }, poll_idle_ms: 10_000 });
    expect(c.keys.destroy).toEqual(['X']);
    expect(actionFor(c.keys, 'X')).toBe('destroy');
    expect(actionFor(c.keys, 'D')).toBeNull();
    expect(actionFor(c.keys, 'i')).toBe('up');
    expect(c.pollIdleMs).toBe(10_000);
  });

  it('rejects bad tables with a message that says what to fix', () => {
    expect(() => dashboardConfigFrom({ keys: { explode: 'x' } })).toThrow(/unknown action \[dashboard.keys\] explode/);
    try {
      dashboardConfigFrom({ keys: 'x' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TkError);
      expect((e as TkError).code).toBe('config');
      expect((e as TkError).hint).toMatch(/\[dashboard\] table/);
    }
    expect(() => dashboardConfigFrom({ keys: { halt: 'j' } })).toThrow(/"j" is bound to both down and halt/);
    expect(() => dashboardConfigFrom({ keys: { halt: 'ctrl+h' } })).toThrow(/one character/);
    expect(() => dashboardConfigFrom({ poll_idle_ms: 5 })).toThrow(/poll_idle_ms must be an integer between/);
    expect(() => dashboardConfigFrom({ colour: 'x' })).toThrow(/unknown key \[dashboard\] colour/);
    expect(() => dashboardConfigFrom({ bell: 'yes' })).toThrow(/bell must be true or false/);
    expect(dashboardConfigFrom({ bell: false }).bell).toBe(false);
  });
});

describe('keymap', () => {
  it('names keys', () => {
    expect(keyName('', { upArrow: true })).toBe('up');
    expect(keyName('', { return: true })).toBe('enter');
    expect(keyName('G', {})).toBe('G');
    expect(keyName('c', { ctrl: true })).toBeNull();
    expect(actionFor(DEFAULT_KEYS, 'enter')).toBe('enter');
    expect(actionFor(DEFAULT_KEYS, 'pagedown')).toBe('pageDown');
  });
});

describe('command line splitting for exec', () => {
  it('keeps quoted arguments whole', () => {
    expect(splitCommandLine(`git commit -m "a b" 'c d' e\\ f ""`)).toEqual(['git', 'commit', '-m', 'a b', 'c d', 'e f', '']);
    expect(() => splitCommandLine('echo "oops')).toThrow(/unterminated double quote/);
    expect(splitCommandLine('   ')).toEqual([]);
  });
});

describe('format', () => {
  it('drops low-value columns on narrow terminals instead of wrapping', () => {
    const wide = layoutColumns(160).map((c) => c.def.id);
    expect(wide).toEqual(['branch', 'state', 'agent', 'phase', 'changes', 'repo', 'ip', 'lastUsed', 'disk']);
    const narrow = layoutColumns(70).map((c) => c.def.id);
    expect(narrow).toContain('branch');
    expect(narrow).toContain('agent');
    expect(narrow).not.toContain('disk');
    for (const w of [60, 80, 100, 120, 200]) {
      const total = layoutColumns(w).reduce((n, c) => n + c.width + 1, 2);
      expect(total).toBeLessThanOrEqual(w);
    }
  });

  it('formats times and changes', () => {
    const now = Date.parse('2026-11-25T08:00:00Z');
    expect(relativeTime('2026-11-25T07:57:00Z', now)).toBe('3m ago');
    expect(relativeTime(null, now)).toBe('-');
    expect(changesText({ changed: 2, ahead: 1, behind: 3 })).toBe('2 files ↑1 ↓3');
    expect(changesText({ changed: 0, ahead: 0, behind: 0 })).toBe('clean');
    expect(changesText(undefined)).toBe('…');
  });

  it('fits a cell to its width in terminal columns, cutting with an ellipsis', () => {
    expect(fitCell('main', 6)).toEqual({ text: 'main', pad: 2 });
    expect(fitCell('feature/long', 6)).toEqual({ text: 'featu…', pad: 0 });
    expect(fitCell('abc', 0)).toEqual({ text: '', pad: 0 });
    // Wide characters take two columns; one that would straddle the edge leaves a pad space.
    expect(fitCell('漢字', 4)).toEqual({ text: '漢字', pad: 0 });
    expect(fitCell('漢字漢字', 6)).toEqual({ text: '漢字…', pad: 1 });
    expect(fitCell('漢字漢字', 5)).toEqual({ text: '漢字…', pad: 0 });
    // A combining accent stays with its letter.
    expect(fitCell('e\u0301e\u0301e\u0301', 2)).toEqual({ text: 'e\u0301…', pad: 0 });
  });

  it('paints SGR codes and turns each attribute off again', () => {
    expect(paint('ok', { color: 'green' })).toBe('\x1b[32mok\x1b[39m');
    expect(paint('x', { bold: true, inverse: true })).toBe('\x1b[1m\x1b[7mx\x1b[27m\x1b[22m');
    expect(paint('x', { dimColor: true, underline: true })).toBe('\x1b[2m\x1b[4mx\x1b[24m\x1b[22m');
    expect(paint('x', {})).toBe('x');
    expect(paint('', { color: 'red' })).toBe('');
  });
});
