// tart login <host> [--username <u> --password-stdin] [--insecure] [--no-validate]; tart logout <host>
// There is no Keychain here: credentials live in $TART_HOME/.sim-credentials.json (mode 0600).
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandSpec } from '../args.js';
import { runtimeError, validationError } from '../errors.js';
import { tartHome } from '../home.js';
import { writeErr } from '../io.js';
import { begin } from './common.js';
import { readAllStdin, readLine } from './stdin.js';

export const LOGIN_SPEC: CommandSpec = {
  name: 'login',
  abstract: 'Login to a registry',
  args: [{ name: 'host', help: 'host' }],
  options: [
    { long: 'username', value: 'username', help: 'username' },
    { long: 'password-stdin', help: 'password-stdin' },
    { long: 'insecure', help: 'connect to the OCI registry via insecure HTTP protocol' },
    { long: 'no-validate', help: "skip validation of the registry's credentials before logging-in" },
  ],
};
export const LOGOUT_SPEC: CommandSpec = { name: 'logout', abstract: 'Logout from a registry', args: [{ name: 'host', help: 'host' }], options: [] };

type Store = Record<string, { user: string; password: string }>;
const storePath = (): string => join(tartHome(), '.sim-credentials.json');

function readStore(): Store {
  try {
    return JSON.parse(readFileSync(storePath(), 'utf8')) as Store;
  } catch {
    return {};
  }
}
function writeStore(s: Store): void {
  const tmp = `${storePath()}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, storePath());
}

/** Credentials for a host (TART_REGISTRY_* env first, like Tart's provider chain), for the sim registry. */
export function credentialsFor(host: string): { user: string; password: string } | null {
  const envHost = process.env['TART_REGISTRY_HOSTNAME'];
  const u = process.env['TART_REGISTRY_USERNAME'];
  const p = process.env['TART_REGISTRY_PASSWORD'];
  if (u && p && (!envHost || envHost === host)) return { user: u, password: p };
  return readStore()[host] ?? null;
}

export async function login(argv: string[]): Promise<number> {
  const { args, opts } = begin(LOGIN_SPEC, argv);
  const host = args['host'] as string;
  const username = opts['username'] as string | undefined;
  if ((username !== undefined) !== Boolean(opts['password-stdin'])) {
    throw validationError('both --username and --password-stdin are required', 'login');
  }
  let user: string;
  let password: string;
  if (username !== undefined) {
    user = username;
    password = readAllStdin().replace(/[\r\n]+$/, '');
  } else {
    // readpassphrase(3) prompts on the terminal; without one (pipes, tests) the prompt goes to stderr.
    writeErr('User: ');
    const u = readLine();
    if (u === null) throw runtimeError('Error: CredentialRequired(which: "username")', 1);
    writeErr('Password: ');
    const p = readLine();
    if (p === null) throw runtimeError('Error: CredentialRequired(which: "password")', 1);
    [user, password] = [u.replace(/\r$/, ''), p.replace(/\r$/, '')];
  }
  if (!opts['no-validate']) {
    const { ensureHost } = await import('../registry.js');
    try {
      ensureHost(host);
    } catch {
      throw runtimeError('invalid credentials: A server with the specified hostname could not be found.', 1);
    }
  }
  const store = readStore();
  store[host] = { user, password };
  writeStore(store);
  return 0;
}

export async function logout(argv: string[]): Promise<number> {
  const { args } = begin(LOGOUT_SPEC, argv);
  const store = readStore();
  delete store[args['host'] as string];
  writeStore(store);
  return 0;
}
