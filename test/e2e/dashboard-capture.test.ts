// Screen captures of the real dashboard for docs/dashboard.md, taken through the pty harness.
// Also an end-to-end check of agent status files: a VM whose agent.json says "waiting" stands out.
// TK_WRITE_DOCS=1 writes the captures to docs/dashboard-capture.txt.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildFixture } from '../helpers/build-fixture.js';
import { KEYS, spawnPty } from '../helpers/pty.js';

const home = mkdtempSync(join(tmpdir(), 'tk-capture-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

it('captures the board, the log pane and the help overlay; a waiting agent stands out', async () => {
  const runner = await buildFixture(join(import.meta.dirname, '../tui/fixtures/dashboard-runner.ts'));
  const waitingVm = 'tachikoma-web-feat-task-004';
  const dir = join(home, 'vms', waitingVm, 'status');
  mkdirSync(dir, { recursive: true });
  const s = spawnPty(process.execPath, [runner], { cols: 120, rows: 30, env: { TK_FAKE_HOME: home, TK_FAKE_COUNT: '9', TK_FAKE_STEP_MS: '400', TK_FAKE_UNTRACKED: '1' } });
  try {
    await s.waitFor('feat/task-000');
    writeFileSync(join(dir, 'agent.json'), JSON.stringify({ state: 'waiting', at: new Date().toISOString() }));
    const working = join(home, 'vms', 'tachikoma-api-feat-task-000', 'status');
    mkdirSync(working, { recursive: true });
    writeFileSync(join(working, 'agent.json'), JSON.stringify({ state: 'working', at: new Date().toISOString() }));
    await s.waitFor('1 waiting for input');
    await s.waitFor(/! feat\/task-004 .*◆ WAITING/);
    expect(s.output()).toContain('\x07'); // the bell rang
    await s.waitFor(/feat\/task-000 .*● working/);
    s.write('n');
    await s.waitFor('Spawn a VM');
    s.write('feat/search' + KEYS.enter);
    await s.waitFor(/feat\/search .*(boot|ip|ssh) \d+s/, 10_000);
    const board = await s.screenText();
    s.write(KEYS.tab);
    await s.waitFor(/› feat\/task-004/);
    await s.waitFor('tachikoma-fake-feat-search: created', 15_000);
    s.write('g');
    s.write('j');
    await s.waitFor(/› feat\/search/);
    s.write('l');
    await s.waitFor('✓clone');
    const log = await s.screenText();
    s.write('?');
    const help = await s.waitFor('Keys (remap in config');
    s.write(KEYS.escape);
    await s.waitFor((t) => !t.includes('Keys (remap'));
    s.write('q');
    await s.exited();
    const trim = (t: string) => t.replace(/\s+$/gm, '').replace(/\n+$/, '');
    if (process.env['TK_WRITE_DOCS'] === '1') {
      writeFileSync(
        join(import.meta.dirname, '../../docs/dashboard-capture.txt'),
        `# board (120x30, fake backend, one spawn in progress)\n${trim(board)}\n\n# log pane (l)\n${trim(log)}\n\n# help (?)\n${trim(help)}\n`,
      );
    }
    expect(board).toMatch(/1[01] VMs: .* · 1 untracked/);
    expect(board).toMatch(/tachikoma-old-experiment .* untracked/);
    expect(help).toContain('commit, push, open a PR');
  } finally {
    s.kill('SIGKILL');
  }
});
