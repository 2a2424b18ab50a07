import { describe, expect, it } from 'vitest';
import type { VmRecord } from '../../src/core/model.js';
import { branchSlug, resolveVmName, shortHash, slugify, vmName, worktreeDirName } from '../../src/core/naming.js';

const rec = (name: string, repo: string, branch: string, repo_root?: string): VmRecord => ({
  name, repo, branch, worktree_path: '/w', created_at: '', last_used: '', status: 'stopped', ip: null, ...(repo_root ? { repo_root } : {}),
});

describe('tachikoma naming (§3.3)', () => {
  it('matches the Rust tool', () => {
    expect(vmName('myapp', 'main')).toBe('tachikoma-myapp-main');
    expect(vmName('myapp', 'feature/auth-system')).toBe('tachikoma-myapp-feature-auth-system');
    expect(vmName('myapp', 'feat/ABC_123!')).toBe('tachikoma-myapp-feat-abc-123');
    expect(vmName('myapp', '')).toBe('tachikoma-myapp');
    const long = vmName('myapp', 'a'.repeat(100));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long.endsWith('-')).toBe(false);
    expect(slugify('--Über__Straße--')).toBe('ber-stra-e');
    expect(branchSlug('Feature/X')).toBe('feature-x');
    // cut at 63 then trailing '-' trimmed
    expect(slugify(`${'a'.repeat(62)}-b`)).toBe('a'.repeat(62));
  });
});

describe('collision-safe names', () => {
  it('first branch keeps the plain name; a colliding branch gets a stable hash suffix', () => {
    const first = resolveVmName('app', 'feature/a-b', [], '/r/app');
    expect(first).toBe('tachikoma-app-feature-a-b');
    const recs = [rec(first, 'app', 'feature/a-b', '/r/app')];
    const second = resolveVmName('app', 'feature-a/b', recs, '/r/app');
    expect(second).not.toBe(first);
    expect(second).toMatch(/^tachikoma-app-feature-a-b-[0-9a-f]{8}$/);
    expect(resolveVmName('app', 'feature-a/b', recs, '/r/app')).toBe(second); // stable
    expect(resolveVmName('app', 'feature/a-b', recs, '/r/app')).toBe(first); // owner keeps it
    recs.push(rec(second, 'app', 'feature-a/b', '/r/app'));
    expect(resolveVmName('app', 'feature-a/b', recs, '/r/app')).toBe(second);
  });

  it('branches equal up to the 63-char cut, and two repos with one basename, never share', () => {
    const b1 = 'x'.repeat(80) + '1';
    const b2 = 'x'.repeat(80) + '2';
    const n1 = resolveVmName('app', b1, []);
    const n2 = resolveVmName('app', b2, [rec(n1, 'app', b1)]);
    expect(n2).not.toBe(n1);
    expect(n2.length).toBeLessThanOrEqual(63);
    const other = resolveVmName('app', 'main', [rec('tachikoma-app-main', 'app', 'main', '/a/app')], '/b/app');
    expect(other).not.toBe('tachikoma-app-main');
  });

  it('a record written by the Rust tool (no repo_root) still matches its branch', () => {
    expect(resolveVmName('app', 'main', [rec('tachikoma-app-main', 'app', 'main')], '/any/app')).toBe('tachikoma-app-main');
  });

  it('worktree dir names are flat and distinct', () => {
    expect(worktreeDirName('app', 'main')).toBe('app-main');
    const a = worktreeDirName('app', 'feature/a-b');
    const b = worktreeDirName('app', 'feature-a/b');
    expect(a).not.toContain('/');
    expect(a).not.toBe(b);
    expect(shortHash('x')).toMatch(/^[0-9a-f]{8}$/);
  });
});
