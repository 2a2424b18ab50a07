// Formatting helpers: Apple JSON, TextTable plain style, RelativeDateTimeFormatter, ByteCountFormatter.
import { describe, expect, it } from 'vitest';
import { appleJson } from '../../src/sim/json.js';
import { relativeTime, textTable, isoDate } from '../../src/sim/commands/common.js';
import { byteCount } from '../../src/sim/commands/set.js';

describe('appleJson', () => {
  it('pretty prints like JSONEncoder(.prettyPrinted)', () => {
    expect(appleJson({ A: 'x/y', B: [1, true], C: {}, D: [] }, { shuffle: false })).toBe(
      '{\n  "A" : "x\\/y",\n  "B" : [\n    1,\n    true\n  ],\n  "C" : {\n\n  },\n  "D" : [\n\n  ]\n}',
    );
    expect(appleJson([], { shuffle: false })).toBe('[\n\n]');
    expect(appleJson('quote " backslash \\ nl \n tab \t bell \u0007 é', { shuffle: false })).toBe(
      '"quote \\" backslash \\\\ nl \\n tab \\t bell \\u0007 é"',
    );
  });
});

describe('textTable', () => {
  it('pads every column to its widest cell and trims only the end of the whole table', () => {
    expect(textTable([{ A: 'long value', B: 1 }, { A: 'x', B: 22 }], ['A', 'B'])).toBe('A          B \nlong value 1 \nx          22');
    expect(textTable([], ['A'])).toBe('');
  });
});

describe('relativeTime', () => {
  const now = new Date('2026-03-20T10:15:30Z');
  const ago = (ms: number): string => relativeTime(new Date(now.getTime() - ms), now);
  it('picks the largest unit, singular or plural, past or future', () => {
    expect(ago(0)).toBe('in 0 seconds');
    expect(ago(400)).toBe('in 0 seconds');
    expect(ago(1000)).toBe('1 second ago');
    expect(ago(45_000)).toBe('45 seconds ago');
    expect(ago(3 * 60_000 + 59_000)).toBe('3 minutes ago');
    expect(ago(3600_000)).toBe('1 hour ago');
    expect(ago(2 * 86400_000)).toBe('2 days ago');
    expect(ago(15 * 86400_000)).toBe('2 weeks ago');
    expect(relativeTime(new Date('2026-01-19T10:15:30Z'), now)).toBe('2 months ago');
    expect(relativeTime(new Date('2024-03-19T10:15:30Z'), now)).toBe('2 years ago');
    expect(ago(-5 * 60_000)).toBe('in 5 minutes');
  });
  it('formats ISO-8601 dates without fractional seconds', () => {
    expect(isoDate(new Date('2026-03-20T10:15:30.123Z'))).toBe('2026-03-20T10:15:30Z');
  });
});

describe('byteCount', () => {
  it('uses decimal units like ByteCountFormatter(.file)', () => {
    expect(byteCount(50e9)).toBe('50 GB');
    expect(byteCount(21_500_000_000)).toBe('21.5 GB');
    expect(byteCount(1_234_567_890)).toBe('1.23 GB');
    expect(byteCount(5_300_000)).toBe('5.3 MB');
    expect(byteCount(0)).toBe('Zero KB');
  });
});
