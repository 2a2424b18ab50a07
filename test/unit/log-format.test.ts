import { describe, expect, it } from 'vitest';
import { formatPhaseMark, parsePhaseMark, renderLogLine, sanitizeForTerminal } from '../../src/core/log-format.js';
import { mergeViews, formatUtcMinute } from '../../src/core/views.js';

describe('log format', () => {
  it('phase markers round-trip; a msg stays on one line', () => {
    const m = { phase: 'agent-install', event: 'end' as const, result: 'failed' as const, at: '2026-03-02T09:30:05.000Z', ms: 42, msg: 'curl: (6) could not\nresolve' };
    const line = formatPhaseMark(m);
    expect(line).toBe('@@tk phase=agent-install event=end result=failed at=2026-03-02T09:30:05.000Z ms=42 msg=curl: (6) could not resolve');
    expect(parsePhaseMark(line)).toEqual({ ...m, msg: 'curl: (6) could not resolve' });
    expect(parsePhaseMark('@@tk phase=boot event=start')).toMatchObject({ phase: 'boot', event: 'start', result: null, at: null });
    expect(parsePhaseMark('@@tk nonsense')).toBeNull();
    expect(parsePhaseMark('plain output')).toBeNull();
  });

  it('guest output cannot drive the terminal', () => {
    expect(sanitizeForTerminal('a\u001b]0;title\u0007b\u001b[2Jc\u001bPd\u0007e\u009bf\tg')).toBe('abcde' + 'f\tg');
    expect(renderLogLine('@@tk phase=x\u001b[31m event=start')).toBe('── x started');
  });
});

describe('views', () => {
  const rec = { name: 'tachikoma-a-b', repo: 'a', branch: 'b', worktree_path: '/w', created_at: 'c', last_used: 'l', status: 'suspended' as const, ip: '1.2.3.4', repo_root: '/r/a' };
  it('without tart: stored status, nothing untracked; --repo matches name or root', () => {
    expect(mergeViews([rec], null)[0]).toMatchObject({ status: 'suspended', ip: null, tracked: true });
    expect(mergeViews([rec], null, { repo: '/r/a' })).toHaveLength(1);
    expect(mergeViews([rec], null, { repo: 'z' })).toHaveLength(0);
  });
  it('OCI images and non-tachikoma VMs are not listed', () => {
    const t = (name: string, source: 'local' | 'OCI') => ({ name, source, state: 'stopped' as const, running: false, diskGb: 1, sizeGb: 1 });
    expect(mergeViews([], [t('tachikoma-x', 'OCI'), t('other', 'local'), t('tachikoma-y', 'local')]).map((v) => v.name)).toEqual(['tachikoma-y']);
  });
  it('UTC minute format', () => {
    expect(formatUtcMinute('2026-01-15T18:01:02.5Z')).toBe('2026-01-15 18:01');
    expect(formatUtcMinute('garbage')).toBe('-');
    expect(formatUtcMinute(null)).toBe('-');
  });
});
