// `tk` with no arguments on a terminal opens the dashboard (alternate screen); `q` quits with 0.
// Without a terminal it prints the list instead (covered in cli.test.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pty from 'node-pty';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/git-repo.js';
import { buildTk } from './build-tk.js';
import { RECORDED_TART } from './helpers.js';

let entry = '';
beforeAll(async () => {
  entry = await buildTk();
}, 120_000);

describe('tk on a terminal', () => {
  it('opens the dashboard with the VMs and quits on q with exit 0', async () => {
    const home = tempDir();
    writeFileSync(
      join(home, 'state.json'),
      JSON.stringify({ version: 1, vms: [{ name: 'tachikoma-myapp-main', repo: 'myapp', branch: 'main', worktree_path: home, created_at: '2026-03-01T08:00:00Z', last_used: '2026-03-02T09:30:00Z', status: 'running', ip: null }] }),
    );
    const p = pty.spawn(process.execPath, [entry], {
      cols: 120,
      rows: 30,
      cwd: home,
      env: { PATH: process.env['PATH'] ?? '', HOME: home, TK_HOME: home, TK_TART: RECORDED_TART, TERM: 'xterm-256color', FORCE_COLOR: '0' },
    });
    let screen = '';
    p.onData((d) => (screen += d));
    const exited = new Promise<number>((resolve) => p.onExit((e) => resolve(e.exitCode)));
    const deadline = Date.now() + 15_000;
    while (!screen.includes('tachikoma-myapp-main') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(screen).toContain('\u001b[?1049h');
    expect(screen).toContain('tachikoma-myapp-main');
    p.write('q');
    const code = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => (p.kill(), r(-1)), 10_000))]);
    expect(code).toBe(0);
  }, 60_000);
});
