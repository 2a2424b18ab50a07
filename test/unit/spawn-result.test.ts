import { describe, expect, it } from 'vitest';
import type { SpawnResult } from '../../src/core/model.js';
import { bringUpText, spawnText } from '../../src/cli/spawn-result.js';

const base: SpawnResult = { kind: 'resumed', name: 'tachikoma-app-mac', ip: '127.0.0.9', branch: 'mac', worktree: '/w/app-mac', provisioned: ['mount'], skipped: [{ step: 'hostname', reason: 'macOS guest: hostname left as is (Linux-only step)' }] };

describe('human text of spawn / resume / provision results', () => {
  it('resume lists the steps that ran under provisioned and the skipped ones apart, with why', () => {
    expect(bringUpText('Resumed tachikoma-app-mac', base)).toBe(
      'Resumed tachikoma-app-mac (127.0.0.9, resumed) for branch mac\n  worktree: /w/app-mac\n  provisioned: mount\n  skipped: hostname (macOS guest: hostname left as is (Linux-only step))\n',
    );
  });

  it('provision: several skipped steps on one line; a reconnect says the VM was already running', () => {
    const r: SpawnResult = {
      ...base,
      kind: 'reconnected',
      provisioned: ['mount', 'git', 'hostname', 'profile', 'agent-config'],
      skipped: [
        { step: 'agent-install', reason: 'agent_install_command is empty' },
        { step: 'scripts', reason: 'no provision_scripts or profiles' },
      ],
    };
    const t = bringUpText('Provisioned tachikoma-app-mac', r);
    expect(t).toContain('(127.0.0.9, already running)');
    expect(t).toContain('  provisioned: mount, git, hostname, profile, agent-config\n');
    expect(t).toContain('  skipped: agent-install (agent_install_command is empty); scripts (no provision_scripts or profiles)\n');
    expect(t.split('\n').find((l) => l.startsWith('  provisioned:'))).not.toMatch(/agent-install|scripts/);
  });

  it('spawn keeps its headline; lines without steps are left out', () => {
    const r: SpawnResult = { ...base, kind: 'reconnected', provisioned: [], skipped: [] };
    expect(spawnText(r)).toBe('Reconnected to tachikoma-app-mac (127.0.0.9) for branch mac\n  worktree: /w/app-mac\n');
    expect(spawnText({ ...base, kind: 'created' })).toContain('  provisioned: mount\n  skipped: hostname (');
  });
});
