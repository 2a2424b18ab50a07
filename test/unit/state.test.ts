import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findVm, parseState, removeVm, serializeState, STATE_VERSION, upsertVm } from '../../src/core/state.js';

const v1 = readFileSync(fileURLToPath(new URL('../fixtures/tachikoma-state-v1.json', import.meta.url)), 'utf8');

describe('state schema', () => {
  it('parses tachikoma v1 and round-trips it (field order, unknown fields kept)', () => {
    const s = parseState(v1, 'f');
    expect(s.vms).toHaveLength(2);
    expect(s.vms[1]!.ip).toBeNull();
    const withExtra = JSON.parse(v1);
    withExtra.vms[0].future_field = { a: 1 };
    const back = JSON.parse(serializeState(parseState(JSON.stringify(withExtra), 'f')));
    expect(back.version).toBe(STATE_VERSION);
    expect(back.vms[0].future_field).toEqual({ a: 1 });
    expect(back.vms[1]).toEqual(JSON.parse(v1).vms[1]);
  });

  it('rejects bad shapes with the file and the field, and newer versions', () => {
    expect(() => parseState('[]', '/s.json')).toThrow(/\/s\.json is corrupt: the top level/);
    expect(() => parseState('{"vms":[]}', 'f')).toThrow(/version/);
    expect(() => parseState('{"version":1,"vms":[{"name":1}]}', 'f')).toThrow(/vms\[0\]\.status|vms\[0\]\.name/);
    expect(() => parseState('{"version":9,"vms":[]}', 'f')).toThrow(/newer tk|cannot read/);
  });

  it('upsert, find, remove', () => {
    const s = parseState(v1, 'f');
    upsertVm(s, { ...s.vms[0]!, ip: null });
    expect(s.vms).toHaveLength(2);
    expect(findVm(s, 'tachikoma-myapp-main')!.ip).toBeNull();
    expect(removeVm(s, 'tachikoma-myapp-main')).toBe(true);
    expect(removeVm(s, 'tachikoma-myapp-main')).toBe(false);
  });
});
