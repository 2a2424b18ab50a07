// SshPort over ssh2: one connection per operation, a noDelay socket from the very start
// (feasibility.md §3: Nagle + delayed ACK cost ~40 ms per round trip otherwise).
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import ssh2 from 'ssh2';
import { TkError } from '../core/errors.js';
import type { SshPort, SshRunOptions, SshSession, SshTarget } from '../ports/ssh.js';

const { Client } = ssh2;

/** OpenSSH public key line (`type base64`) of a raw SSH public key blob. */
export function keyLine(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  const type = blob.subarray(4, 4 + len).toString('latin1');
  return `${type} ${blob.toString('base64')}`;
}

export function createSsh(): SshPort {
  return {
    connect(t: SshTarget): Promise<SshSession> {
      return new Promise((resolve, reject) => {
        const client = new Client();
        let hostKey = '';
        let settled = false;
        let authUsed: 'key' | 'password' = 'key';
        const sock = netConnect({ host: t.host, port: t.port, noDelay: true });
        const done = (e: Error | null, s?: SshSession) => {
          if (settled) return;
          settled = true;
          t.signal?.removeEventListener('abort', onAbort);
          if (e) {
            client.end();
            sock.destroy();
            reject(e);
          } else resolve(s as SshSession);
        };
        const onAbort = () => done(new TkError('interrupted', 'Interrupted.'));
        t.signal?.addEventListener('abort', onAbort, { once: true });
        sock.once('error', (e) => done(e));
        let privateKey: Buffer | undefined;
        try {
          privateKey = readFileSync(t.keyPath);
        } catch {
          privateKey = undefined;
        }
        const methods: Array<'publickey' | 'password'> = [];
        if (privateKey) methods.push('publickey');
        if (t.password !== undefined) methods.push('password');
        client.once('ready', () => {
          const session: SshSession = {
            hostKey,
            auth: authUsed,
            run: (command, opts) => run(client, command, opts),
            close: () => client.end(),
          };
          done(null, session);
        });
        client.once('error', (e) => done(e));
        client.once('close', () => done(new Error('connection closed before it was ready')));
        client.connect({
          sock,
          username: t.user,
          readyTimeout: t.readyTimeoutMs,
          hostVerifier: (key: Buffer) => {
            hostKey = keyLine(key);
            return t.verifyHostKey ? t.verifyHostKey(hostKey) : true;
          },
          authHandler: (_methodsLeft: unknown, _partial: unknown, next: (a: unknown) => void) => {
            const m = methods.shift();
            if (!m) return next(false as never);
            authUsed = m === 'publickey' ? 'key' : 'password';
            if (m === 'publickey') next({ type: 'publickey', username: t.user, key: privateKey as Buffer } as never);
            else next({ type: 'password', username: t.user, password: t.password as string } as never);
          },
        } as never);
      });
    },
  };
}

let execSeq = 0;

/**
 * OpenSSH's sshd ignores "signal" channel requests for commands without a pty, and closing the
 * channel does not end the command either. So a command that may have to be stopped (timeout or
 * abort) records its process group in the guest first (sshd makes each session's shell a process
 * group leader), and stopping it kills that group over a second channel of the same connection.
 */
function killable(command: string): { command: string; pidFile: string } {
  const pidFile = `/tmp/.tk-exec-${process.pid}-${Date.now().toString(36)}-${execSeq++}`;
  return {
    pidFile,
    command: `printf '%s' "$$" > ${pidFile}; ( ${command}
); tk_rc=$?; rm -f ${pidFile}; exit $tk_rc`,
  };
}

function killGroup(client: InstanceType<typeof Client>, pidFile: string): void {
  const cmd = `pg=$(cat ${pidFile} 2>/dev/null) && [ -n "$pg" ] && kill -KILL -- "-$pg" 2>/dev/null; rm -f ${pidFile}`;
  try {
    client.exec(cmd, (err, stream) => {
      if (err) return;
      stream.on('close', () => undefined).resume();
      stream.stderr.resume();
      stream.end();
    });
  } catch {
    /* the connection is gone: the command dies with it */
  }
}

function run(client: InstanceType<typeof Client>, command: string, opts: SshRunOptions = {}): Promise<number> {
  const stoppable = opts.timeoutMs !== undefined || opts.signal !== undefined ? killable(command) : null;
  return new Promise((resolve, reject) => {
    client.exec(stoppable ? stoppable.command : command, (err, stream) => {
      if (err) return reject(err);
      let code: number | null = null;
      let timer: NodeJS.Timeout | undefined;
      const kill = (c: number) => {
        if (code !== null) return;
        code = c;
        if (stoppable) killGroup(client, stoppable.pidFile);
        try {
          stream.signal('KILL');
        } catch {
          /* ignore */
        }
        stream.close();
      };
      if (opts.timeoutMs) timer = setTimeout(() => kill(124), opts.timeoutMs);
      const onAbort = () => kill(130);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('exit', (c: number | null, sig?: string) => {
        if (code === null) code = c ?? (sig ? 128 + 9 : 255);
      });
      stream.on('data', (d: Buffer) => opts.onStdout?.(d));
      stream.stderr.on('data', (d: Buffer) => opts.onStderr?.(d));
      stream.on('close', () => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(code ?? 255);
      });
      if (opts.stdin === undefined) stream.end();
      else if (typeof opts.stdin === 'string') stream.end(opts.stdin);
      else {
        const src = opts.stdin;
        void (async () => {
          try {
            for await (const chunk of src) stream.write(chunk);
          } catch {
            /* the local stdin failed: just close */
          }
          stream.end();
        })();
      }
    });
  });
}
