// The MCP pr tool over the real engine: real git, a local bare repository as the recorded remote, a
// stand-in gh on disk (the pattern of test/adapters/pr.test.ts). Without confirm: true nothing is
// committed or pushed and the answer says what would be; with it, the same path as `tk pr`.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitCli } from '../../src/adapters/git.js';
import { createApp } from '../../src/core/app.js';
import { DEFAULTS } from '../../src/core/config.js';
import type { VmRecord } from '../../src/core/model.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { git, makeRepo, tempDir } from '../helpers/git-repo.js';
import { FakeClock, FakeSsh, FakeTart, MemHost, MemStore, fakeProxy } from '../unit/engine-fakes.js';
import { text } from './helpers.js';

const NAME = 'tachikoma-myrepo-feat';

interface World {
  wt: string;
  root: string;
  remote: string;
  ghLog: string;
  store: MemStore;
  client: Client;
  call(args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

async function world(githubHosts: string[] = []): Promise<World> {
  const { parent, root } = makeRepo('myrepo');
  const remote = join(parent, 'remote.git');
  git(parent, 'init', '-q', '--bare', remote);
  git(root, 'remote', 'add', 'origin', `file://${remote}`);
  const wt = join(parent, 'myrepo-feat');
  git(root, 'worktree', 'add', '-q', '-b', 'feat', wt);
  const home = tempDir('tk-mcp-pr-home-');
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Host User\n\temail = host@example.invalid\n');
  const ghLog = join(parent, 'gh.log');
  const gh = join(parent, 'gh');
  writeFileSync(gh, `#!/bin/sh\nfor a in "$@"; do echo "$a"; done > ${ghLog}\necho https://github.com/o/myrepo/pull/7\n`);
  chmodSync(gh, 0o755);
  const store = new MemStore();
  const rec: VmRecord = {
    name: NAME,
    repo: 'myrepo',
    branch: 'feat',
    worktree_path: wt,
    created_at: '2026-01-01T00:00:00.000Z',
    last_used: '2026-01-01T00:00:00.000Z',
    status: 'stopped',
    ip: null,
    repo_root: root,
    push_url: `file://${remote}`,
  };
  store.state.vms.push(rec);
  const g = new GitCli({ env: { PATH: process.env['PATH'], HOME: home }, gh, lockDir: join(parent, 'locks') });
  const clock = new FakeClock();
  const tart = new FakeTart(clock);
  const app = createApp({ config: { ...DEFAULTS, github_hosts: githubHosts }, tart, ssh: new FakeSsh(tart), git: g, pr: g, store, host: new MemHost(), clock, proxy: fakeProxy() }, { allowLocalPush: true });
  const server = createMcpServer(app, { version: '0.0.0-test', cwd: root });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'tk-mcp-pr-test', version: '0.0.0' });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return {
    wt,
    root,
    remote,
    ghLog,
    store,
    client,
    call: async (args) => (await client.callTool({ name: 'pr', arguments: args })) as CallToolResult,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

const head = (dir: string) => git(dir, 'rev-parse', 'HEAD').trim();
const remoteHas = (bare: string, branch: string) => git(bare, 'for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`).trim();

describe('MCP pr tool (real engine, local remote, stand-in gh)', () => {
  let w: World;
  beforeEach(async () => {
    w = await world();
  });
  afterEach(async () => {
    await w.close();
  });

  it('without confirm: true commits and pushes nothing, and says what it would do (branch, URL, counts)', async () => {
    writeFileSync(join(w.wt, 'a.txt'), 'a\n');
    git(w.wt, 'add', 'a.txt');
    git(w.wt, 'commit', '-q', '-m', 'agent commit');
    writeFileSync(join(w.wt, 'README.md'), 'changed\n');
    writeFileSync(join(w.wt, 'new.txt'), 'new\n');
    const before = head(w.wt);
    for (const args of [{ vm_name: NAME }, { vm_name: NAME, confirm: false }]) {
      const r = await w.call(args);
      expect(r.isError).toBe(true);
      const t = text(r);
      expect(t).toContain('pr needs confirm: true');
      expect(t).toContain(`in the worktree ${w.wt}`);
      expect(t).toContain('- commit 2 changed files as "chore: Claude changes on feat"');
      expect(t).toContain(`- push branch feat (1 unpushed commit plus that commit) to file://${w.remote}`);
      expect(t).toContain('gh pr create --fill');
      expect(t).toContain('call pr again with confirm: true');
    }
    expect(head(w.wt)).toBe(before);
    expect(git(w.wt, 'status', '--porcelain')).toBe(' M README.md\n?? new.txt\n');
    expect(remoteHas(w.remote, 'feat')).toBe('');
    expect(existsSync(w.ghLog)).toBe(false);
  });

  it('with confirm: true commits, pushes the branch to the recorded URL and opens the PR, with progress', async () => {
    writeFileSync(join(w.wt, 'README.md'), 'changed\n');
    const progress: { message?: string }[] = [];
    const r = (await w.client.callTool({ name: 'pr', arguments: { vm_name: NAME, confirm: true } }, undefined, { onprogress: (p) => progress.push(p) })) as CallToolResult;
    expect(r.isError, text(r)).toBeFalsy();
    expect(r.structuredContent).toEqual({ name: NAME, url: 'https://github.com/o/myrepo/pull/7', committed: true, branch: 'feat', pushed_to: `file://${w.remote}` });
    expect(text(r)).toBe(`PR created for ${NAME}: https://github.com/o/myrepo/pull/7\n- pending changes committed\n- branch feat pushed to file://${w.remote}`);
    expect(remoteHas(w.remote, 'feat')).toBe(head(w.wt));
    expect(git(w.wt, 'log', '-1', '--format=%s')).toBe('chore: Claude changes on feat\n');
    expect(readFileSync(w.ghLog, 'utf8')).toMatch(/^pr\ncreate\n--fill\n/);
    expect(progress.map((p) => p.message)).toEqual([`${NAME}: git: Committing changes...`, `${NAME}: git: Pushing feat...`, `${NAME}: git: Creating PR...`]);

    // Everything is pushed now: the plan says there is nothing to do, and confirming fails the tk pr way.
    const plan = await w.call({ vm_name: NAME });
    expect(text(plan)).toContain('pr would do nothing: the worktree has 0 changed files and 0 unpushed commits');
    const again = await w.call({ vm_name: NAME, confirm: true });
    expect(again.isError).toBe(true);
    expect(text(again)).toContain('Nothing to commit — no changes detected in worktree');
  });

  it('an untrusted remote: the plan says tk would refuse to push, and confirming commits nothing', async () => {
    const rec = w.store.state.vms[0] as VmRecord;
    delete rec.push_url;
    git(w.root, 'remote', 'set-url', 'origin', 'https://evil.example/o/myrepo.git');
    writeFileSync(join(w.wt, 'README.md'), 'changed\n');
    const plan = await w.call({ vm_name: NAME });
    expect(plan.isError).toBe(true);
    expect(text(plan)).toContain('pr would refuse to push branch feat of tachikoma-myrepo-feat: tk pr will not push to "https://evil.example/o/myrepo.git"');
    expect(text(plan)).toContain('(the worktree has 1 changed file and 0 unpushed commits; nothing would be committed)');
    const r = await w.call({ vm_name: NAME, confirm: true });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('only github.com remotes are trusted');
    expect(git(w.wt, 'status', '--porcelain')).toBe(' M README.md\n');
    expect(existsSync(w.ghLog)).toBe(false);
  });

  it('a GitHub Enterprise URL: the plan names the host gh would target; an unconfigured host is refused with how to configure it', async () => {
    await w.close();
    w = await world(['github.example.com']);
    (w.store.state.vms[0] as VmRecord).push_url = 'https://github.example.com/team/myrepo.git';
    writeFileSync(join(w.wt, 'README.md'), 'changed\n');
    const plan = await w.call({ vm_name: NAME });
    expect(plan.isError).toBe(true);
    expect(text(plan)).toContain('- push branch feat (0 unpushed commits plus that commit) to https://github.example.com/team/myrepo.git');
    expect(text(plan)).toContain('- open a pull request with gh pr create --fill on github.example.com');

    await w.close();
    w = await world();
    (w.store.state.vms[0] as VmRecord).push_url = 'https://github.example.com/team/myrepo.git';
    writeFileSync(join(w.wt, 'README.md'), 'changed\n');
    const refused = await w.call({ vm_name: NAME });
    expect(text(refused)).toContain('pr would refuse to push branch feat of tachikoma-myrepo-feat: tk pr will not push to "https://github.example.com/team/myrepo.git"');
    expect(text(refused)).toContain('For a GitHub Enterprise server, add its host name to github_hosts in your own config (tk config edit).');
    const r = await w.call({ vm_name: NAME, confirm: true });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('github_hosts = ["github.example.com"]');
    expect(git(w.wt, 'status', '--porcelain')).toBe(' M README.md\n');
    expect(existsSync(w.ghLog)).toBe(false);
  });

  it('an unknown VM is a tool error with the CLI\'s message', async () => {
    for (const confirm of [true, false]) {
      const r = await w.call({ vm_name: 'tachikoma-myrepo-nope', confirm });
      expect(r.isError).toBe(true);
      expect(text(r)).toContain('No VM named "tachikoma-myrepo-nope".\nSee `tk list`');
    }
  });
});
