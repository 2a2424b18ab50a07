import { describe, expect, it } from 'vitest';
import type { VmRecord } from '../../src/core/model.js';
import { branchSlug, plainVmName, slugify, suffixedVmName, vmNameFor, worktreeDirName } from '../../src/core/naming.js';

const rec = (name: string, branch: string, extra: Partial<VmRecord> = {}): VmRecord => ({
  name, repo: 'myapp', branch, worktree_path: '/w', created_at: 'x', last_used: 'x', status: 'stopped', ip: null, ...extra,
});

describe('tachikoma §3.3 naming', () => {
  it('matches the Rust tests', () => {
    expect(plainVmName('myapp', 'main')).toBe('tachikoma-myapp-main');
    expect(plainVmName('myapp', 'feature/auth-system')).toBe('tachikoma-myapp-feature-auth-system');
    expect(plainVmName('myapp', 'feat/ABC_123!')).toBe('tachikoma-myapp-feat-abc-123');
    expect(plainVmName('myapp', '')).toBe('tachikoma-myapp');
    const long = plainVmName('myapp', 'a'.repeat(100));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long.endsWith('-')).toBe(false);
  });
  it('slugify trims a trailing dash after the cut and maps unicode to dashes', () => {
    expect(slugify('abc-' + 'x'.repeat(10), 4)).toBe('abc');
    expect(slugify('Ünï/x')).toBe('n-x');
    expect(branchSlug('feature/X')).toBe('feature-x');
    expect(branchSlug('ブランチ')).toBe('branch');
  });
});

describe('collision safety', () => {
  const base = { repo: 'myapp', repoRoot: '/src/myapp' };
  it('first branch keeps the plain name, a colliding one gets a stable suffix', () => {
    const a = vmNameFor({ ...base, branch: 'feature/a-b', vms: [] });
    expect(a).toBe('tachikoma-myapp-feature-a-b');
    const vms = [rec(a, 'feature/a-b', { repo_root: '/src/myapp' })];
    const b = vmNameFor({ ...base, branch: 'feature-a/b', vms });
    expect(b).not.toBe(a);
    expect(b).toMatch(/^tachikoma-myapp-feature-a-b-[0-9a-f]{8}$/);
    expect(b).toBe(suffixedVmName('myapp', 'feature-a/b', '/src/myapp'));
    // stable once recorded, and the first branch still gets its own
    const vms2 = [...vms, rec(b, 'feature-a/b', { repo_root: '/src/myapp' })];
    expect(vmNameFor({ ...base, branch: 'feature-a/b', vms: vms2 })).toBe(b);
    expect(vmNameFor({ ...base, branch: 'feature/a-b', vms: vms2 })).toBe(a);
  });
  it('branches that differ only after the 63-char cut do not share a VM', () => {
    const p = 'x'.repeat(70);
    const a = vmNameFor({ ...base, branch: p + '1', vms: [] });
    const b = vmNameFor({ ...base, branch: p + '2', vms: [rec(a, p + '1', { repo_root: '/src/myapp' })] });
    expect(a).not.toBe(b);
    expect(b.length).toBeLessThanOrEqual(63);
  });
  it('same repo basename in another place is another repo; tachikoma records match by basename', () => {
    const vms = [rec('tachikoma-myapp-main', 'main', { repo_root: '/other/myapp' })];
    expect(vmNameFor({ ...base, branch: 'main', vms })).not.toBe('tachikoma-myapp-main');
    const legacy = [rec('tachikoma-myapp-main', 'main')];
    expect(vmNameFor({ ...base, branch: 'main', vms: legacy })).toBe('tachikoma-myapp-main');
  });
  it('worktree dir names are flat and distinct', () => {
    expect(worktreeDirName('r', 'main')).toBe('r-main');
    const a = worktreeDirName('r', 'feature/a-b');
    const b = worktreeDirName('r', 'feature-a/b');
    expect(a).not.toContain('/');
    expect(a).not.toBe(b);
  });
});
