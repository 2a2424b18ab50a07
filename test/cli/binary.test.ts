// The built executable: one JSON document on stdout, exit codes, signals.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/git-repo.js';
import { buildTk } from './build-tk.js';
import { RECORDED_TART } from './helpers.js';

let entry = '';

beforeAll(async () => {
  entry = await buildTk();
}, 60_000);

function env(home: string, tart = RECORDED_TART) {
  return { PATH: process.env['PATH'], HOME: home, TK_HOME: home, TK_TART: tart };
}

function runUntil(args: string[], e: NodeJS.ProcessEnv, ready: (stdout: string, stderr: string) => boolean, sig: NodeJS.Signals) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const p = spawn(process.execPath, [entry, ...args], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const check = () => {
      if (!sent && ready(stdout, stderr)) {
        sent = true;
        p.kill(sig);
      }
    };
    p.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), check()));
    p.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), check()));
    const t = setTimeout(() => (p.kill('SIGKILL'), reject(new Error(`timeout: ${stdout} ${stderr}`))), 15_000);
    p.on('exit', (code) => (clearTimeout(t), resolve({ code, stdout, stderr })));
    setTimeout(check, 300);
  });
}

describe('bin: tk', () => {
  it('list --json: one document on stdout, warnings on stderr; usage error exit 2', () => {
    const home = tempDir();
    writeFileSync(join(home, 'config.toml'), 'unknown_key = 1\n');
    const r = spawnSync(process.execPath, [entry, 'list', '--json'], { env: env(home), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'tachikoma-stray-vm', tracked: false })]));
    expect(r.stderr).toMatch(/warning: Unknown config key "unknown_key"/);
    const u = spawnSync(process.execPath, [entry, 'list', '--bogus', '--json'], { env: env(home), encoding: 'utf8' });
    expect(u.status).toBe(2);
    expect(JSON.parse(u.stdout)).toMatchObject({ success: false, code: 'usage' });
  });

  it('list --json loads no ink/react/ssh2/undici/zod/smol-toml code (without a config file)', () => {
    const home = tempDir();
    const hook = join(home, 'hook.mjs');
    const log = join(home, 'loaded.txt');
    writeFileSync(
      hook,
      `import { registerHooks } from 'node:module';\nimport { appendFileSync } from 'node:fs';\n` +
        `registerHooks({ load(url, ctx, next) { if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, ctx); } });\n`,
    );
    const r = spawnSync(process.execPath, ['--import', hook, entry, 'list', '--json'], { env: env(home), encoding: 'utf8' });
    expect(r.status).toBe(0);
    const files = readFileSync(log, 'utf8').trim().split('\n').map((u) => fileURLToPath(u));
    expect(files.length).toBeGreaterThan(1);
    const heavy = /node_modules\/(ink|react|react-reconciler|yoga-layout|ssh2|undici|zod|smol-toml|execa|chokidar)\//;
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(heavy);
    // The same check sees the dashboard's chunk when it is loaded on purpose (so it can fail).
    expect(files.some((f) => /run-dashboard/.test(f))).toBe(false);
  });

  it('SIGINT while tart is slow: exit 130, one JSON error document', async () => {
    const home = tempDir();
    const slow = join(home, 'slow-tart');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 10\n');
    chmodSync(slow, 0o755);
    const r = await runUntil(['list', '--json'], env(home, slow), () => true, 'SIGINT');
    expect(r.code).toBe(130);
    expect(JSON.parse(r.stdout)).toMatchObject({ success: false, code: 'interrupted', exit_code: 130 });
  });

  it('logs -f ends with 0 on SIGINT and on SIGTERM', async () => {
    const home = tempDir();
    mkdirSync(join(home, 'logs'));
    writeFileSync(join(home, 'logs', 'vm1.log'), 'hello\n');
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const r = await runUntil(['logs', '-f', 'vm1'], env(home), (out) => out.includes('hello'), sig);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('hello\n');
    }
  });
});
