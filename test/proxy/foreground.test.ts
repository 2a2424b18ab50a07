// `tk proxy start` in the foreground, as its own process: prints where it listens, serves, and on
// Ctrl-C (SIGINT) stops and removes its PID file; a second start meanwhile fails and changes nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pidPath } from '../../src/proxy/pidfile.js';
import { buildProxyEntry, freePort } from './build-entry.js';
import { raw } from './helpers.js';

let cli: string;
const home = mkdtempSync(join(tmpdir(), 'tk-proxy-fg-'));
beforeAll(async () => {
  cli = await buildProxyEntry('test/proxy/fixtures/cli-main.ts', 'cli-main');
}, 60_000);
afterAll(() => {
  rmSync(dirname(cli), { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

function start(args: string[], port: number): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, TEST_HOME: home, TEST_PROXY_CONFIG: JSON.stringify({ credential_proxy_bind: '127.0.0.1', credential_proxy_port: port }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exit };
}

describe('tk proxy start (foreground)', () => {
  it('serves until SIGINT, then removes its PID file; a concurrent start exits 1 and leaves it alone', async () => {
    const port = await freePort();
    const fg = start(['start'], port);
    try {
      const deadline = Date.now() + 10_000;
      while (!fg.out().includes('listening on') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(fg.out()).toMatch(new RegExp(`Credential proxy listening on http://127\\.0\\.0\\.1:${port} \\(PID ${fg.child.pid}\\)`));
      expect(fg.err()).toMatch(/Credential proxy listening on/); // the log, echoed to stderr
      expect(JSON.parse(readFileSync(pidPath(home), 'utf8')).pid).toBe(fg.child.pid);
      expect(JSON.parse((await raw(port, { path: '/health' })).body).pid).toBe(fg.child.pid);

      const before = readFileSync(pidPath(home), 'utf8');
      const second = start(['start', '--port', String(await freePort())], port);
      expect(await second.exit).toBe(1);
      expect(second.err()).toMatch(/already running at http:\/\/127\.0\.0\.1:\d+ \(PID \d+\)[\s\S]*tk proxy stop/);
      expect(readFileSync(pidPath(home), 'utf8')).toBe(before);

      fg.child.kill('SIGINT');
      expect(await fg.exit).toBe(0);
      expect(existsSync(pidPath(home))).toBe(false);
    } finally {
      fg.child.kill('SIGKILL');
    }
  }, 30_000);
});
