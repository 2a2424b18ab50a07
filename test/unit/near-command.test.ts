import { describe, expect, it } from 'vitest';
import { nearCommand } from '../../src/cli/main.js';

describe('tk WORD: typo or branch', () => {
  it('names the command a typo was meant to be', () => {
    expect(nearCommand('lsit')).toBe('list');
    expect(nearCommand('stauts')).toBe('status');
    expect(nearCommand('destory')).toBe('destroy');
    expect(nearCommand('spwan')).toBe('spawn');
    expect(nearCommand('provison')).toBe('provision');
  });
  it('leaves real branch names alone', () => {
    for (const b of ['main', 'dev', 'feature/x', 'fix-typo', 'spike', 'stage', 'test', 'prod', 'mcp1', 'cdk', 'release-1.2']) {
      expect(nearCommand(b), b).toBeUndefined();
    }
  });
});
