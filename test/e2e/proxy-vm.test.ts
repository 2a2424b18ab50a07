// The credential proxy seen from inside a tart-sim VM (issue #6): `bin/tk spawn` provisions a guest in
// proxy mode against a loopback fake Messages API, then, inside the guest with the environment
// provisioning gave it (`bash -lc`, so ~/.profile applies):
//   1. the official @anthropic-ai/sdk client, non-streaming and streaming;
//   2. curl with the VM token as x-api-key to $ANTHROPIC_BASE_URL/v1/messages?beta=true;
//   3. curl through $HTTP_PROXY (absolute-form request line, token in Proxy-Authorization);
//   4. the real Claude Code CLI (`claude -p`), installed by agent_install_command.
// Every request reaches the upstream with the HOST credential and never the VM token; the host
// credential appears nowhere in the guest (env, ~/.profile, ~/.claude*, the whole overlay upper
// layer), the worktree, tk's logs or the proxy log.
//
// Sim guests see the host's system trees (/usr, /var, …) through an overlay but not /work or /tmp,
// so the Node binary, an esbuild bundle of the SDK script and the claude binary are hard-linked
// (copied across filesystems) into a 0755 directory under /var/tmp before the VM boots.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { proxyLogPath } from '../../src/proxy/daemon.js';
import { freePort } from '../proxy/build-entry.js';
import { startFakeApi, type FakeApi, type Recorded } from '../proxy/helpers.js';
import { ensureBuilt } from '../sim/helpers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TK = join(ROOT, 'bin/tk');
const TART_SIM = join(ROOT, 'bin/tart-sim');
const require = createRequire(import.meta.url);
const CLAUDE_BIN = realpathSync(join(dirname(require.resolve('@anthropic-ai/claude-code/package.json')), 'bin', 'claude.exe'));
/** The host credential: unique per run, so a hit anywhere can only come from this test. */
const SECRET = `sk-ant-host-secret-${randomBytes(12).toString('hex')}`;

/** Hard link (instant, same filesystem) or copy. */
function place(src: string, dest: string): void {
  try {
    linkSync(src, dest);
  } catch {
    copyFileSync(src, dest);
    chmodSync(dest, 0o755);
  }
}

// The SDK client run in the guest: argv[2] = "stream" | "json", argv[3] = a model name the test
// uses to find this request at the upstream. Prints the text it got back.
const SDK_SCRIPT = `
import Anthropic from '@anthropic-ai/sdk';
const [mode, model] = process.argv.slice(2);
const client = new Anthropic({ maxRetries: 0 });
const params = { model, max_tokens: 16, messages: [{ role: 'user', content: 'say hi' }] };
if (mode === 'stream') {
  const stream = client.messages.stream(params);
  let deltas = 0;
  stream.on('text', () => deltas++);
  const msg = await stream.finalMessage();
  process.stdout.write(JSON.stringify({ text: msg.content.map((c) => c.text).join(''), deltas }) + '\\n');
} else {
  const msg = await client.messages.create(params);
  process.stdout.write(JSON.stringify({ text: msg.content.map((c) => c.text).join(''), id: msg.id }) + '\\n');
}
`;

let dir = '';
let tools = '';
let repo = '';
let tkHome = '';
let tartHome = '';
let env: Record<string, string> = {};
let api: FakeApi | undefined;
let vm = '';
let worktree = '';
let vmToken = '';
let baseUrl = '';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs: number, input?: string): Promise<Run> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd: repo, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
  });
}

/** `tk exec <vm> -- bash -lc <script>`: a login shell, so the provisioned ~/.profile applies. */
const inVm = (script: string, timeoutMs = 120_000, input?: string): Promise<Run> => run(TK, ['exec', vm, '--', 'bash', '-lc', script], timeoutMs, input);

/** The proxy log, or only what it got since `from` (a length returned earlier). */
const proxyLog = (from = 0): string => (existsSync(proxyLogPath(tkHome)) ? readFileSync(proxyLogPath(tkHome), 'utf8').slice(from) : '');

/** The daemon appends its access log line after answering: wait for it (returns the log since `from`). */
const logged = (from: number, re: RegExp): Promise<string> =>
  vi.waitFor(() => {
    const l = proxyLog(from);
    expect(l).toMatch(re);
    return l;
  }, { timeout: 10_000, interval: 50 });

const messagePosts = (): Recorded[] => api!.requests.filter((q) => q.method === 'POST' && q.url.startsWith('/v1/messages'));

/** What every request that reached the upstream must satisfy. */
function expectHostCredentialOnly(reqs: Recorded[]): void {
  expect(reqs.length).toBeGreaterThan(0);
  for (const q of reqs) {
    expect(q.headers['x-api-key'], q.url).toBe(SECRET);
    expect(q.headers['authorization']).toBeUndefined();
    expect(q.headers['proxy-authorization']).toBeUndefined();
    const seen = JSON.stringify(q.headers) + q.body + q.url;
    expect(seen).not.toContain(vmToken);
  }
}

/** Files under `root` whose bytes contain `needle` (grep -r, binary files included). */
function filesContaining(root: string, needle: string): string[] {
  if (!existsSync(root)) return [];
  const r = spawnSync('grep', ['-rlF', '--binary-files=text', '--no-messages', needle, root], { encoding: 'utf8' });
  if (r.status === 2 && !r.stdout) throw new Error(`grep failed in ${root}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  ensureBuilt(['dist/tk/tk.js', 'dist/sim/tart-sim.js', 'dist/proxy/tk-proxy.js'].map((p) => join(ROOT, p)), join(ROOT, 'src'));
  dir = mkdtempSync(join(tmpdir(), 'tk-proxy-vm-'));
  // Tools the guest runs: under /var (a system tree the guest sees through its overlay).
  tools = mkdtempSync('/var/tmp/tk-proxy-vm-tools-');
  chmodSync(tools, 0o755);
  place(realpathSync(process.execPath), join(tools, 'node'));
  place(CLAUDE_BIN, join(tools, 'claude'));
  await build({
    stdin: { contents: SDK_SCRIPT, resolveDir: ROOT, loader: 'js', sourcefile: 'sdk-client.mjs' },
    outfile: join(tools, 'sdk-client.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'warning',
  });
  chmodSync(join(tools, 'sdk-client.mjs'), 0o644);

  api = await startFakeApi();
  repo = join(dir, 'demo');
  mkdirSync(repo);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '--allow-empty', '-m', 'init');

  tkHome = join(dir, 'tk-home');
  tartHome = join(dir, 'tart-home');
  const hostHome = join(dir, 'host-home');
  mkdirSync(tkHome);
  mkdirSync(hostHome);
  // Global (trusted) config. Loopback only: sim guests share the host's loopback.
  writeFileSync(join(tkHome, 'config.toml'), [
    'base_image = "ubuntu"',
    'credential_proxy_bind = "127.0.0.1"',
    `credential_proxy_port = ${await freePort()}`,
    `credential_proxy_upstream = "${api.url}"`,
    // The install step links the claude binary staged above (no network here).
    `agent_install_command = "mkdir -p \\"$HOME/.local/bin\\" && ln -sfn ${tools}/claude \\"$HOME/.local/bin/claude\\""`,
    '',
  ].join('\n'));
  const base: Record<string, string> = {};
  for (const k of ['PATH', 'LANG', 'TERM', 'TMPDIR']) if (process.env[k]) base[k] = process.env[k]!;
  env = {
    ...base,
    // A fresh host HOME: no ~/.claude/.credentials.json or keychain-like state of this machine.
    HOME: hostHome,
    TK_HOME: tkHome,
    TK_TART: TART_SIM,
    TART_HOME: tartHome,
    TART_SIM_LEASES: join(dir, 'leases.json'),
    TART_SIM_REGISTRY: join(dir, 'registry'),
    CI: 'true',
    // The host credential: in tk's environment only; the proxy daemon inherits it.
    ANTHROPIC_API_KEY: SECRET,
  };
  // As on a Mac, the local `ubuntu` base image exists only after a clone from the registry.
  const clone = spawnSync(TART_SIM, ['clone', 'ghcr.io/cirruslabs/ubuntu:latest', 'ubuntu'], { env, encoding: 'utf8', timeout: 120_000 });
  if (clone.status !== 0) throw new Error(`tart-sim clone failed: ${clone.stderr}`);
}, 180_000);

afterAll(async () => {
  if (env['TART_HOME']) {
    const list = spawnSync(TART_SIM, ['list', '--format', 'json'], { env, encoding: 'utf8' });
    try {
      for (const v of JSON.parse(list.stdout || '[]') as { Name: string }[]) {
        spawnSync(TART_SIM, ['stop', v.Name], { env, timeout: 30_000 });
        spawnSync(TART_SIM, ['delete', v.Name], { env, timeout: 30_000 });
      }
    } catch {
      /* no VMs */
    }
    spawnSync(TK, ['proxy', 'stop'], { env, cwd: repo || ROOT, timeout: 30_000 });
  }
  await api?.close();
  // TK_TEST_KEEP=1 keeps the temp dir (logs, TART_HOME) for a post-mortem; VMs and the proxy are stopped anyway.
  if (dir && !process.env['TK_TEST_KEEP']) rmSync(dir, { recursive: true, force: true });
  if (tools) rmSync(tools, { recursive: true, force: true });
}, 180_000);

describe('the credential proxy from inside a tart-sim VM', () => {
  it('spawn provisions the VM in proxy mode', async () => {
    const r = await run(TK, ['spawn', '--no-interactive', '--json', 'feat-proxy'], 600_000);
    const logs = existsSync(join(tkHome, 'logs')) ? readdirSync(join(tkHome, 'logs')).map((f) => readFileSync(join(tkHome, 'logs', f), 'utf8')).join('\n') : '';
    expect(r.code, `${r.stdout}\n${r.stderr}\n${logs}`).toBe(0);
    const s = (JSON.parse(r.stdout) as { data: { name: string; worktree: string; provisioned: string[] } }).data;
    expect(s.provisioned).toContain('agent-install');
    vm = s.name;
    worktree = s.worktree;
    expect(vm).toMatch(/^tachikoma-/);
    expect(existsSync(worktree)).toBe(true);
  }, 600_000);

  it('the guest has the proxy env and its own token, never the host credential', async () => {
    const r = await inVm('env; echo ===PROFILE; cat ~/.profile ~/.tk/env.sh; echo ===CLAUDE; cat ~/.claude.json; find ~/.claude -type f -exec cat {} +');
    expect(r.code, r.stderr).toBe(0);
    const vars = Object.fromEntries(r.stdout.split('===PROFILE')[0]!.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(vars['ANTHROPIC_BASE_URL']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    vmToken = vars['ANTHROPIC_AUTH_TOKEN'] ?? '';
    baseUrl = vars['ANTHROPIC_BASE_URL']!;
    expect(vmToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(vars['HTTP_PROXY']).toBe(`http://tk:${vmToken}@${vars['ANTHROPIC_BASE_URL']!.slice('http://'.length)}`);
    expect(vars['ANTHROPIC_API_KEY']).toBeUndefined();
    expect(r.stdout).not.toContain(SECRET);
    // The install step linked claude onto the login PATH.
    const which = await inVm('command -v claude && claude --version');
    expect(which.stdout, which.stderr).toMatch(/\.local\/bin\/claude\n.*2\.1\.331/);
  }, 180_000);

  it('the official SDK client, non-streaming and streaming', async () => {
    api!.requests.length = 0;
    const plain = await inVm(`${tools}/node ${tools}/sdk-client.mjs json model-sdk-json`);
    expect(plain.code, plain.stderr).toBe(0);
    expect(JSON.parse(plain.stdout)).toEqual({ text: 'hi from fake', id: 'msg_fake_01' });
    const streamed = await inVm(`${tools}/node ${tools}/sdk-client.mjs stream model-sdk-stream`);
    expect(streamed.code, streamed.stderr).toBe(0);
    expect(JSON.parse(streamed.stdout)).toEqual({ text: 'hi from fake', deltas: 3 });
    const posts = messagePosts();
    expect(posts.map((q) => [q.url, (JSON.parse(q.body) as { model: string; stream?: boolean }).model, (JSON.parse(q.body) as { stream?: boolean }).stream ?? false]))
      .toEqual([['/v1/messages', 'model-sdk-json', false], ['/v1/messages', 'model-sdk-stream', true]]);
    expectHostCredentialOnly(posts);
  }, 180_000);

  it('curl with the VM token as x-api-key keeps ?beta=true', async () => {
    api!.requests.length = 0;
    const r = await inVm(`curl -sS --fail-with-body -H "x-api-key: $ANTHROPIC_AUTH_TOKEN" -H 'content-type: application/json' -d '{"model":"model-curl-beta","max_tokens":8,"messages":[]}' "$ANTHROPIC_BASE_URL/v1/messages?beta=true"`);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect((JSON.parse(r.stdout) as { content: { text: string }[] }).content[0]!.text).toBe('hi from fake');
    const posts = messagePosts();
    expect(posts.map((q) => q.url)).toEqual(['/v1/messages?beta=true']);
    expect(posts[0]!.body).toContain('model-curl-beta');
    expectHostCredentialOnly(posts);
    // Without the token the proxy refuses and nothing reaches the upstream.
    api!.requests.length = 0;
    const anon = await inVm(`curl -sS -o /dev/null -w '%{http_code}' -H 'content-type: application/json' -d '{}' "$ANTHROPIC_BASE_URL/v1/messages"`);
    expect(anon.stdout).toBe('401');
    expect(api!.requests).toHaveLength(0);
  }, 180_000);

  it('curl through HTTP_PROXY sends the absolute form /v1 call', async () => {
    api!.requests.length = 0;
    const logFrom = proxyLog().length;
    // --noproxy '' overrides NO_PROXY (which lists the proxy's own address), so curl sends
    // `POST http://127.0.0.1:<port>/v1/messages?beta=true` to the proxy with Proxy-Authorization.
    const r = await inVm(`curl -sS -v --fail-with-body --noproxy '' -x "$HTTP_PROXY" -H 'content-type: application/json' -d '{"model":"model-curl-absolute","max_tokens":8,"messages":[]}' "$ANTHROPIC_BASE_URL/v1/messages?beta=true"`);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr).toMatch(/> POST http:\/\/127\.0\.0\.1:\d+\/v1\/messages\?beta=true HTTP/);
    expect(r.stderr).toMatch(/> Proxy-Authorization: Basic/);
    expect((JSON.parse(r.stdout) as { content: { text: string }[] }).content[0]!.text).toBe('hi from fake');
    const posts = messagePosts();
    expect(posts.map((q) => q.url)).toEqual(['/v1/messages?beta=true']);
    expect(posts[0]!.body).toContain('model-curl-absolute');
    expectHostCredentialOnly(posts);
    await logged(logFrom, new RegExp(`vm=${vm} POST /v1/messages\\?… -> 200 .*absolute-form via HTTP_PROXY`));
  }, 180_000);

  it('the real Claude Code CLI: claude -p with the provisioning env', async () => {
    api!.requests.length = 0;
    const logFrom = proxyLog().length;
    const r = await inVm(`CLAUDE_CODE_MAX_RETRIES=0 claude -p 'say hi'`, 150_000);
    expect(r.stdout.trim(), r.stderr).toBe('hi from fake');
    expect(r.code).toBe(0);
    const posts = messagePosts();
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((q) => q.url === '/v1/messages?beta=true')).toBe(true);
    expectHostCredentialOnly(posts);
    const log = await logged(logFrom, new RegExp(`vm=${vm} POST /v1/messages\\?… -> 200`));
    // NO_PROXY lists the proxy's address: the call went straight to it, not through HTTP_PROXY.
    expect(log).not.toContain('absolute-form');
  }, 180_000);

  it('claude -p also works when it sends the API call through HTTP_PROXY (empty NO_PROXY: absolute form)', async () => {
    api!.requests.length = 0;
    const logFrom = proxyLog().length;
    const r = await inVm(`NO_PROXY= no_proxy= CLAUDE_CODE_MAX_RETRIES=0 claude -p 'say hi'`, 150_000);
    expect(r.stdout.trim(), r.stderr).toBe('hi from fake');
    const posts = messagePosts();
    expect(posts.some((q) => q.url === '/v1/messages?beta=true')).toBe(true);
    expectHostCredentialOnly(posts);
    await logged(logFrom, new RegExp(`vm=${vm} POST /v1/messages\\?… -> 200 .*absolute-form via HTTP_PROXY`));
  }, 180_000);

  it('the host credential is nowhere in the guest, the worktree, tk logs or the proxy log', async () => {
    expect(vm).not.toBe('');
    // The environment of every guest process, the profile and the home listing come back to the host
    // to be searched here; the in-guest grep reads the secret from stdin (never from its argv).
    const dump = await inVm(`env; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'; cat ~/.profile ~/.tk/env.sh; ls -aR ~`);
    expect(dump.code, dump.stderr).toBe(0);
    expect(dump.stdout).toContain('ANTHROPIC_AUTH_TOKEN=');
    expect(dump.stdout).not.toContain(SECRET);
    const guestFilesWith = async (needle: string): Promise<string[]> => {
      const g = await inVm('grep -rlF --binary-files=text -f /dev/stdin ~ /etc /tmp /run 2>/dev/null; echo "grep=$?"', 120_000, `${needle}\n`);
      const lines = g.stdout.trim().split('\n');
      expect(lines.at(-1), g.stderr).toMatch(/^grep=[012]$/);
      return lines.slice(0, -1);
    };
    expect(await guestFilesWith(SECRET)).toEqual([]);
    // The same search does find the VM's own token (~/.tk/env.sh): it can find things.
    expect(await guestFilesWith(vmToken)).toContain('/home/admin/.tk/env.sh');
    const upper = join(tartHome, 'vms', vm, '.sim', 'upper');
    expect(existsSync(upper)).toBe(true);
    // The overlay upper layer is everything the guest ever wrote (its home, /etc, …).
    expect(filesContaining(upper, SECRET)).toEqual([]);
    expect(filesContaining(worktree, SECRET)).toEqual([]);
    expect(filesContaining(join(tkHome, 'logs'), SECRET)).toEqual([]);
    expect(readdirSync(join(tkHome, 'logs')).length).toBeGreaterThan(0);
    const wholeLog = proxyLog();
    expect(wholeLog).not.toContain(SECRET);
    expect(wholeLog).not.toContain(vmToken);
    // Nothing under TK_HOME holds it (state, tokens, proxy files).
    expect(filesContaining(tkHome, SECRET)).toEqual([]);
    // The upper layer does hold the VM's own token (~/.tk/env.sh): the grep above can find things.
    expect(filesContaining(upper, vmToken).length).toBeGreaterThan(0);
  }, 180_000);

  it('destroy revokes the VM token at once', async () => {
    const r = await run(TK, ['destroy', vm, '--force', '--discard-changes'], 120_000);
    expect(r.code, r.stderr).toBe(0);
    api!.requests.length = 0;
    const res = await fetch(`${baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': vmToken, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'model-after-destroy', max_tokens: 8, messages: [] }),
    });
    expect(res.status).toBe(401);
    expect(api!.requests).toHaveLength(0);
  }, 180_000);
});
