// The dashboard's own adapters against real files and directories.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentStatusPathFromLogPath, parseAgentStatus, readAgentStatus } from '../../src/adapters/agent-status.js';
import { tailLog } from '../../src/adapters/log-tail.js';
import { isIgnoredPath, watchWorktree } from '../../src/adapters/watcher.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'tk-adapt-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function waitFor(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('agent status (untrusted guest input)', () => {
  it('accepts only the contract shape', () => {
    expect(parseAgentStatus('{"state":"waiting","at":"2026-11-25T08:00:00Z"}')).toEqual({ state: 'waiting', at: '2026-11-25T08:00:00Z' });
    expect(parseAgentStatus('{"state":"rm -rf","at":"2026-11-25T08:00:00Z"}')).toBeNull();
    expect(parseAgentStatus('{"state":"idle"}')).toBeNull();
    expect(parseAgentStatus('[1]')).toBeNull();
    expect(parseAgentStatus('not json')).toBeNull();
  });

  it('reads a file, refuses symlinks and oversized files', async () => {
    const d = tmp();
    const ok = join(d, 'agent.json');
    writeFileSync(ok, '{"state":"working","at":"2026-11-25T08:00:00Z"}');
    expect(await readAgentStatus(ok)).toEqual({ state: 'working', at: '2026-11-25T08:00:00Z' });
    const link = join(d, 'link.json');
    symlinkSync(ok, link);
    expect(await readAgentStatus(link)).toBeNull();
    const big = join(d, 'big.json');
    writeFileSync(big, `{"state":"idle","at":"2026-11-25T08:00:00Z","pad":"${'x'.repeat(5000)}"}`);
    expect(await readAgentStatus(big)).toBeNull();
    expect(await readAgentStatus(join(d, 'missing.json'))).toBeNull();
  });

  it('derives the status path from the log path (contracts.md Paths)', () => {
    expect(agentStatusPathFromLogPath('/h/logs/tachikoma-x.log', 'tachikoma-x')).toBe('/h/vms/tachikoma-x/status/agent.json');
  });
});

describe('log tail', () => {
  it('reads only the tail of a big file, then follows appends, truncation and creation', async () => {
    const d = tmp();
    const p = join(d, 'vm.log');
    const line = 'x'.repeat(99) + '\n';
    writeFileSync(p, line.repeat(20_000) + 'LAST\n'); // ~2 MB
    const resets: { lines: string[]; truncated: boolean }[] = [];
    const appended: string[] = [];
    const t = tailLog(p, { onReset: (lines, truncated) => resets.push({ lines, truncated }), onAppend: (l) => appended.push(...l) }, { maxBytes: 64 * 1024, pollMs: 100 });
    try {
      await waitFor(() => resets.length === 1);
      expect(resets[0]?.truncated).toBe(true);
      expect(resets[0]?.lines.at(-1)).toBe('LAST');
      expect(resets[0]?.lines.length).toBeLessThanOrEqual(64 * 1024 / 100 + 1);
      appendFileSync(p, 'one\ntw');
      await waitFor(() => appended.includes('one'));
      appendFileSync(p, 'o\n');
      await waitFor(() => appended.includes('two'));
      truncateSync(p, 0);
      appendFileSync(p, 'fresh\n');
      await waitFor(() => resets.some((r) => r.lines.includes('fresh')));
    } finally {
      t.close();
    }
    const p2 = join(d, 'later.log');
    const seen: string[] = [];
    const t2 = tailLog(p2, { onReset: (l) => seen.push(...l), onAppend: (l) => seen.push(...l) }, { pollMs: 100 });
    try {
      await new Promise((r) => setTimeout(r, 50));
      writeFileSync(p2, 'created\n');
      await waitFor(() => seen.includes('created'));
    } finally {
      t2.close();
    }
  });
});

describe('worktree watcher', () => {
  it('ignores .git internals and dependency folders', () => {
    expect(isIgnoredPath('/w', '/w/.git/index')).toBe(true);
    expect(isIgnoredPath('/w', '/w/web/node_modules/x/y.js')).toBe(true);
    expect(isIgnoredPath('/w', '/w/src/main.ts')).toBe(false);
    expect(isIgnoredPath('/w', '/w')).toBe(false);
  });

  it('debounces a burst of saves into one notification, not for ignored folders', async () => {
    const d = tmp();
    mkdirSync(join(d, 'node_modules'));
    mkdirSync(join(d, '.git'));
    let calls = 0;
    const w = watchWorktree(d, () => calls++, { debounceMs: 50 });
    try {
      await waitFor(() => calls === 1); // the post-scan refresh
      await new Promise((r) => setTimeout(r, 100));
      writeFileSync(join(d, 'node_modules', 'dep.js'), 'x');
      writeFileSync(join(d, '.git', 'index'), 'x');
      await new Promise((r) => setTimeout(r, 300));
      expect(calls).toBe(1);
      for (let i = 0; i < 5; i++) writeFileSync(join(d, `f${i}.txt`), 'x');
      await waitFor(() => calls >= 2);
      await new Promise((r) => setTimeout(r, 200));
      expect(calls).toBe(2);
    } finally {
      await w.close();
    }
  });
});

describe('worktree watcher and hostile links', () => {
  it('does not follow a symlink the guest planted to a directory outside the worktree', async () => {
    const outside = tmp();
    mkdirSync(join(outside, 'deep', 'er'), { recursive: true });
    const d = tmp();
    writeFileSync(join(d, 'a.txt'), 'a');
    symlinkSync(outside, join(d, 'evil'));
    let calls = 0;
    const w = watchWorktree(d, () => calls++, { debounceMs: 30 });
    try {
      await waitFor(() => calls === 1); // the post-scan refresh
      // Writes behind the link are not watched (the host never walked into it)...
      writeFileSync(join(outside, 'deep', 'er', 'x.txt'), 'x');
      writeFileSync(join(outside, 'y.txt'), 'y');
      await new Promise((r) => setTimeout(r, 300));
      expect(calls).toBe(1);
      // ...while the worktree itself still is.
      writeFileSync(join(d, 'b.txt'), 'b');
      await waitFor(() => calls === 2);
    } finally {
      await w.close();
    }
  });
});

describe('directory set watcher', () => {
  it('reports files in watched directories, including directories created later', async () => {
    const { watchDirs } = await import('../../src/adapters/watcher.js');
    const d = tmp();
    const a = join(d, 'a');
    const b = join(d, 'b');
    mkdirSync(a);
    const seen: string[] = [];
    const w = watchDirs((dir, file) => seen.push(`${dir === a ? 'a' : dir === b ? 'b' : '?'}:${file}`));
    try {
      w.set([a, b]);
      await new Promise((r) => setTimeout(r, 200));
      writeFileSync(join(a, 'agent.json'), '{}');
      await waitFor(() => seen.includes('a:agent.json'));
      mkdirSync(b);
      writeFileSync(join(b, 'agent.json'), '{}');
      w.set([a, b]); // the next poll
      await waitFor(() => seen.includes('b:'));
      await new Promise((r) => setTimeout(r, 200));
      writeFileSync(join(b, 'agent.json'), '{"x":1}');
      await waitFor(() => seen.includes('b:agent.json'));
    } finally {
      await w.close();
    }
  });
});
