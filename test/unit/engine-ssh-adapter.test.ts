// The ssh2 adapter against an in-process ssh2 server: key then password auth, host key check,
// stdin script, stdout/stderr kept apart, exit codes, timeout.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSsh } from '../../src/adapters/ssh.js';
import { tempDir } from '../helpers/git-repo.js';

const { Server, utils } = ssh2;
let server: InstanceType<typeof Server>;
let port = 0;
let dir: string;
const hostKey = utils.generateKeyPairSync('ed25519');
const userKey = utils.generateKeyPairSync('ed25519');
const authorized = { key: false };

beforeAll(async () => {
  dir = tempDir('tk-ssh-adapter-');
  writeFileSync(join(dir, 'id'), userKey.private, { mode: 0o600 });
  server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && authorized.key && ctx.key.data.equals(utils.parseKey(userKey.public) instanceof Error ? Buffer.alloc(0) : (utils.parseKey(userKey.public) as { getPublicSSH(): Buffer }).getPublicSSH())) return ctx.accept();
      if (ctx.method === 'password' && ctx.username === 'admin' && ctx.password === 'admin') return ctx.accept();
      return ctx.reject(['publickey', 'password']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acc, _rej, info) => {
          const stream = acc();
          const child = spawn('bash', ['--norc', '--noprofile', '-c', info.command], { stdio: ['pipe', 'pipe', 'pipe'] });
          stream.pipe(child.stdin);
          child.stdout.pipe(stream, { end: false });
          child.stderr.pipe(stream.stderr, { end: false });
          child.on('close', (code) => {
            stream.exit(code ?? 1);
            stream.end();
          });
          stream.on('close', () => child.kill('SIGKILL'));
        });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ssh adapter', () => {
  const target = () => ({ host: '127.0.0.1', port, user: 'admin', keyPath: join(dir, 'id'), readyTimeoutMs: 5000 });

  it('falls back to the password before the key is installed, then uses the key', async () => {
    authorized.key = false;
    const s1 = await createSsh().connect({ ...target(), password: 'admin' });
    expect(s1.auth).toBe('password');
    expect(s1.hostKey).toMatch(/^ssh-ed25519 AAAA/);
    s1.close();
    await expect(createSsh().connect(target())).rejects.toThrow();
    authorized.key = true;
    const s2 = await createSsh().connect(target());
    expect(s2.auth).toBe('key');
    s2.close();
  });

  it('a host key the caller rejects aborts the handshake (stale lease)', async () => {
    authorized.key = true;
    await expect(createSsh().connect({ ...target(), verifyHostKey: () => false })).rejects.toThrow();
    const seen: string[] = [];
    const s = await createSsh().connect({ ...target(), verifyHostKey: (k) => (seen.push(k), true) });
    expect(seen).toEqual([s.hostKey]);
    s.close();
  });

  it('runs a script from stdin, keeps stdout and stderr apart, returns the exit code; timeout gives 124', async () => {
    authorized.key = true;
    const s = await createSsh().connect(target());
    let out = '';
    let err = '';
    const code = await s.run('bash -s', {
      stdin: 'echo "secret-in-body"; echo oops >&2; exit 5\n',
      onStdout: (c) => (out += Buffer.from(c).toString()),
      onStderr: (c) => (err += Buffer.from(c).toString()),
    });
    expect({ code, out, err }).toEqual({ code: 5, out: 'secret-in-body\n', err: 'oops\n' });
    expect(await s.run('exit 0')).toBe(0);
    const t0 = Date.now();
    expect(await s.run('sleep 20', { timeoutMs: 300 })).toBe(124);
    expect(Date.now() - t0).toBeLessThan(5000);
    s.close();
  });
});
