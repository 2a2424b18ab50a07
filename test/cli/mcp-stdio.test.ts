// `tk mcp` through the executable: every stdout line is JSON-RPC, warnings go to stderr.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/git-repo.js';
import { buildTk } from './build-tk.js';
import { RECORDED_TART } from './helpers.js';

let entry = '';
beforeAll(async () => {
  entry = await buildTk();
}, 120_000);

describe('tk mcp', () => {
  it('answers initialize and tools/list with JSON-RPC only on stdout', async () => {
    const home = tempDir();
    writeFileSync(join(home, 'config.toml'), 'not_a_key = 1\n'); // a warning that must not reach stdout
    const p = spawn(process.execPath, [entry, 'mcp'], { cwd: home, env: { PATH: process.env['PATH'], HOME: home, TK_HOME: home, TK_TART: RECORDED_TART }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const send = (m: unknown) => p.stdin.write(JSON.stringify(m) + '\n');
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const deadline = Date.now() + 15_000;
    while (!stdout.includes('"id":2') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    p.stdin.end();
    const code = await new Promise<number | null>((r) => p.on('exit', r));
    const lines = stdout.trim().split('\n');
    const msgs = lines.map((l) => JSON.parse(l) as { id?: number; result?: { serverInfo?: { version: string }; tools?: unknown[] } });
    expect(msgs.find((m) => m.id === 1)?.result?.serverInfo?.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(msgs.find((m) => m.id === 2)?.result?.tools?.length).toBeGreaterThan(0);
    expect(stderr).toMatch(/Unknown config key "not_a_key"/);
    expect(code).toBe(0);
  }, 60_000);
});
