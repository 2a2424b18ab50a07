import { describe, expect, it } from 'vitest';
import { agentStatusPath, logPath, vmDir } from '../../src/adapters/paths.js';

describe('per-VM paths never leave tk home', () => {
  it.each(['../../etc/passwd', '..', '.', '', 'a/b', 'a\\b', 'x\u0000y', 'x\ny'])('refuses %j', (name) => {
    for (const f of [logPath, vmDir, agentStatusPath]) expect(() => f('/h', name)).toThrow(/not a valid VM name/);
    try {
      logPath('/h', name);
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(2);
    }
  });
  it('accepts tk, tachikoma and suffixed names', () => {
    expect(logPath('/h', 'tachikoma-myapp-main')).toBe('/h/logs/tachikoma-myapp-main.log');
    expect(vmDir('/h', 'tachikoma-a-b-1f2e3d4c')).toBe('/h/vms/tachikoma-a-b-1f2e3d4c');
    expect(agentStatusPath('/h', 'vm.with.dots')).toBe('/h/vms/vm.with.dots/status/agent.json');
  });
});
