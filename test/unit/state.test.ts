import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyState, importRecords, parseState, patchVm, removeVm, serializeState, StateParseError, upsertVm } from '../../src/core/state.js';

const fixture = readFileSync(join(import.meta.dirname, '../fixtures/tachikoma-state-v1.json'), 'utf8');

describe('state file', () => {
  it('reads tachikoma v1 and writes v2 with its fields first, in order', () => {
    const s = parseState(fixture);
    expect(s.vms).toHaveLength(2);
    expect(s.vms[0]).toMatchObject({ name: 'tachikoma-myapp-feature-auth-system', status: 'running', ip: '192.168.64.5' });
    patchVm(s, 'tachikoma-myapp-main', { repo_root: '/Users/dev/src/myapp', provision: { done: ['ssh-key'] } });
    const out = serializeState(s);
    const back = JSON.parse(out);
    expect(back.version).toBe(2);
    expect(Object.keys(back.vms[1]).slice(0, 8)).toEqual(['name', 'repo', 'branch', 'worktree_path', 'created_at', 'last_used', 'status', 'ip']);
    expect(back.vms[1].repo_root).toBe('/Users/dev/src/myapp');
    expect(parseState(out).vms).toEqual(s.vms);
  });
  it('keeps unknown fields, rejects bad shapes and unknown versions', () => {
    const s = parseState(JSON.stringify({ version: 1, vms: [{ ...JSON.parse(fixture).vms[0], future: 1 }] }));
    expect(JSON.parse(serializeState(s)).vms[0].future).toBe(1);
    expect(() => parseState('{')).toThrow(StateParseError);
    expect(() => parseState('{"vms":[]}')).toThrow(/version/);
    expect(() => parseState('{"version":9,"vms":[]}')).toThrow(/newer/);
    expect(() => parseState('{"version":1,"vms":[{"name":1}]}')).toThrow(/vms\[0\]\.name/);
    expect(() => parseState(JSON.stringify({ version: 1, vms: [{ ...JSON.parse(fixture).vms[0], status: 'Running' }] }))).toThrow(/status/);
  });
  it('mutations', () => {
    const s = emptyState();
    const legacy = parseState(fixture);
    expect(importRecords(s, legacy)).toHaveLength(2);
    expect(importRecords(s, legacy)).toHaveLength(0);
    upsertVm(s, { ...legacy.vms[0]!, status: 'stopped' });
    expect(s.vms[0]!.status).toBe('stopped');
    expect(removeVm(s, 'tachikoma-myapp-main')).toBe(true);
    expect(removeVm(s, 'tachikoma-myapp-main')).toBe(false);
  });
});
