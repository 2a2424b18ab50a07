// tk pr against real git: a local bare repository as the trusted remote, a stand-in gh on disk,
// and a hostile guest that planted hooks, redirects and helpers in the shared .git.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { GitCli } from '../../src/adapters/git.js';
import { createApp, type App } from '../../src/core/app.js';
import { DEFAULTS } from '../../src/core/config.js';
import type { VmRecord } from '../../src/core/model.js';
import { FakeClock, FakeSsh, FakeTart, MemHost, MemStore, fakeProxy } from '../unit/engine-fakes.js';
import { git, makeRepo, tempDir } from '../helpers/git-repo.js';
import { createController } from '../../src/tui/controller.js';
import { createStore, initialState } from '../../src/tui/store.js';

interface Env {
  root: string;
  wt: string;
  remote: string;
  evil: string;
  markers: string;
  ghLog: string;
  store: MemStore;
  gh: string;
  home: string;
  app: App;
  appNoGh: App;
}

function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

function setup(): Env {
  const { parent, root } = makeRepo('myrepo');
  const remote = join(parent, 'remote.git');
  const evil = join(parent, 'evil.git');
  git(parent, 'init', '-q', '--bare', remote);
  git(parent, 'init', '-q', '--bare', evil);
  git(root, 'remote', 'add', 'origin', `file://${remote}`);
  const wt = join(parent, 'myrepo-feat');
  git(root, 'worktree', 'add', '-q', '-b', 'feat', wt);
  const markers = join(parent, 'markers');
  mkdirSync(markers);
  // The host user's identity and credential helper (global config).
  const home = tempDir('tk-pr-home-');
  writeFileSync(join(home, '.gitconfig'), `[user]\n\tname = Host User\n\temail = host@example.invalid\n[credential]\n\thelper = ${script(join(home, 'cred'), `touch ${markers}/global-cred`)}\n`);
  const ghLog = join(parent, 'gh.log');
  // Stand-in gh: records cwd, GH_REPO, GH_HOST and argv, runs git in the worktree (as gh --fill does), prints a URL.
  const gh = script(join(parent, 'gh'), `{ pwd; echo "GH_REPO=$GH_REPO"; echo "GH_HOST=$GH_HOST"; for a in "$@"; do echo "$a"; done; } > ${ghLog}\ngit status >/dev/null 2>&1; git log -1 >/dev/null 2>&1\necho https://github.com/o/myrepo/pull/1`);
  const store = new MemStore();
  const rec: VmRecord = {
    name: 'tachikoma-myrepo-feat',
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
  const make = (ghPath: string) => {
    // GH_REPO/GH_HOST in the caller's environment must never reach gh (the trusted URL decides).
    const g = new GitCli({ env: { PATH: process.env['PATH'], HOME: home, GH_REPO: 'evil.example/attacker/x', GH_HOST: 'evil.example' }, gh: ghPath, lockDir: join(parent, 'locks') });
    const clock = new FakeClock();
    const tart = new FakeTart(clock);
    return createApp({ config: { ...DEFAULTS }, tart, ssh: new FakeSsh(tart), git: g, pr: g, store, host: new MemHost(), clock, proxy: fakeProxy() }, { allowLocalPush: true });
  };
  return { root, wt, remote, evil, markers, ghLog, store, gh, home, app: make(gh), appNoGh: make(join(parent, 'no-such-gh')) };
}

const NAME = 'tachikoma-myrepo-feat';
const head = (dir: string, ref = 'HEAD') => git(dir, 'rev-parse', ref).trim();
const remoteHas = (bare: string, branch: string) => git(bare, 'for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`).trim();

describe('tk pr (real git, local remote, stand-in gh)', () => {
  let e: Env;
  beforeEach(() => {
    e = setup();
  });

  it('commits pending changes as the host user, pushes the branch, opens the PR with gh --fill', async () => {
    writeFileSync(join(e.wt, 'README.md'), 'changed\n');
    writeFileSync(join(e.wt, 'new.txt'), 'new\n');
    const r = await e.app.pr(NAME);
    expect(r).toMatchObject({ url: 'https://github.com/o/myrepo/pull/1', committed: true, branch: 'feat' });
    const sha = head(e.wt);
    expect(remoteHas(e.remote, 'feat')).toBe(sha);
    const msg = git(e.wt, 'log', '-1', '--format=%B%n--%an <%ae>');
    expect(msg).toMatch(/^chore: Claude changes on feat\n\n/);
    expect(msg).toContain('README.md | 2 +-');
    expect(msg).toContain('Untracked/new files:');
    expect(msg).toContain('new.txt');
    expect(msg).toContain('--Host User <host@example.invalid>');
    expect(git(e.wt, 'status', '--porcelain')).toBe('');
    // the remote-tracking ref is recorded (unpushed counts drop to 0)
    expect(head(e.wt, 'refs/remotes/origin/feat')).toBe(sha);
    const log = readFileSync(e.ghLog, 'utf8').split('\n');
    expect(log.slice(0, 7)).toEqual([e.wt, 'GH_REPO=', 'GH_HOST=', 'pr', 'create', '--fill', '--head']);
    expect(log[7]).toBe('feat');
  });

  it('nothing to commit and nothing unpushed: the tachikoma error, nothing pushed, gh not run', async () => {
    await expect(e.app.pr(NAME)).rejects.toThrow('Nothing to commit — no changes detected in worktree');
    expect(remoteHas(e.remote, 'feat')).toBe('');
    expect(existsSync(e.ghLog)).toBe(false);
  });

  it('unpushed commits only: pushes them and opens the PR without a new commit', async () => {
    writeFileSync(join(e.wt, 'x.txt'), 'x\n');
    git(e.wt, 'add', 'x.txt');
    git(e.wt, 'commit', '-q', '-m', 'agent commit');
    const sha = head(e.wt);
    const r = await e.app.pr(NAME);
    expect(r.committed).toBe(false);
    expect(head(e.wt)).toBe(sha);
    expect(remoteHas(e.remote, 'feat')).toBe(sha);
    // pushed now: a second pr has nothing to do
    await expect(e.app.pr(NAME)).rejects.toThrow('Nothing to commit');
  });

  it('guest-planted hooks, sshCommand, credential helper, fsmonitor and a changed origin: none runs, the push goes to the recorded URL', async () => {
    const m = e.markers;
    const hooks = join(e.root, '.git', 'hooks');
    for (const h of ['pre-commit', 'commit-msg', 'post-commit', 'pre-push', 'reference-transaction']) script(join(hooks, h), `touch ${m}/hook-${h}`);
    const planted = join(e.root, 'planted-hooks');
    mkdirSync(planted);
    for (const h of ['pre-commit', 'pre-push']) script(join(planted, h), `touch ${m}/hookspath-${h}`);
    const cfg = join(e.root, '.git', 'config');
    git(e.root, 'config', '--file', cfg, 'core.hooksPath', planted);
    git(e.root, 'config', '--file', cfg, 'core.sshCommand', script(join(m, '..', 'ssh'), `touch ${m}/ssh`));
    git(e.root, 'config', '--file', cfg, 'credential.helper', `!touch ${m}/cred`);
    git(e.root, 'config', '--file', cfg, 'core.fsmonitor', script(join(m, '..', 'fsmon'), `touch ${m}/fsmonitor`));
    git(e.root, 'config', '--file', cfg, 'remote.origin.url', `file://${e.evil}`);
    git(e.root, 'config', '--file', cfg, 'remote.origin.pushurl', `file://${e.evil}`);
    writeFileSync(join(e.wt, 'README.md'), 'changed\n');
    await e.app.pr(NAME);
    expect(remoteHas(e.remote, 'feat')).toBe(head(e.wt));
    expect(remoteHas(e.evil, 'feat')).toBe('');
    expect(readFileSync(e.ghLog, 'utf8')).toContain('pr\ncreate');
    expect(existsSync(join(m, 'hook-pre-commit'))).toBe(false);
    expect(readdirSync(m)).toEqual([]);
  });

  it('url.*.insteadOf in the repository config: refuses to push at all', async () => {
    git(e.root, 'config', '--file', join(e.root, '.git', 'config'), `url.file://${e.evil}.insteadOf`, `file://${e.remote}`);
    writeFileSync(join(e.wt, 'README.md'), 'changed\n');
    await expect(e.app.pr(NAME)).rejects.toThrow(/will not push: the repository's git config sets url\.file:\/\/.*insteadof/i);
    expect(remoteHas(e.evil, 'feat')).toBe('');
    expect(remoteHas(e.remote, 'feat')).toBe('');
    expect(existsSync(e.ghLog)).toBe(false);
  });

  it('remote.<url>.pushurl / receivepack keyed by the trusted URL: refuses (git reads them for `push <url>`)', async () => {
    const cfg = join(e.root, '.git', 'config');
    git(e.root, 'config', '--file', cfg, `remote.file://${e.remote}.pushurl`, `file://${e.evil}`);
    git(e.root, 'config', '--file', cfg, `remote.file://${e.remote}.receivepack`, `touch ${e.markers}/receivepack; git-receive-pack`);
    writeFileSync(join(e.wt, 'README.md'), 'changed\n');
    await expect(e.app.pr(NAME)).rejects.toThrow(/will not push: .*remote\.file:\/\/.*pushurl/);
    expect(remoteHas(e.evil, 'feat')).toBe('');
    expect(readdirSync(e.markers)).toEqual([]);
  });

  it('http.<url>.proxy planted through an included file: refuses', async () => {
    const inc = join(e.root, 'inc.cfg');
    writeFileSync(inc, '[http "https://github.com"]\n\tproxy = http://127.0.0.1:9\n');
    git(e.root, 'config', '--file', join(e.root, '.git', 'config'), 'include.path', inc);
    writeFileSync(join(e.wt, 'README.md'), 'changed\n');
    await expect(e.app.pr(NAME)).rejects.toThrow(/http\.https:\/\/github\.com\.proxy/);
    expect(remoteHas(e.remote, 'feat')).toBe('');
  });

  it('a VM recorded without push_url: origin is read now; a local path is refused without the test switch', async () => {
    e.store.state.vms[0] = { ...(e.store.state.vms[0] as VmRecord) };
    delete e.store.state.vms[0].push_url;
    writeFileSync(join(e.wt, 'README.md'), 'changed\n');
    await e.app.pr(NAME);
    expect(remoteHas(e.remote, 'feat')).toBe(head(e.wt));
    const strict = new GitCli({ env: { PATH: process.env['PATH'], HOME: tempDir() } });
    const clock = new FakeClock();
    const tart = new FakeTart(clock);
    const app = createApp({ config: { ...DEFAULTS }, tart, ssh: new FakeSsh(tart), git: strict, pr: strict, store: e.store, host: new MemHost(), clock, proxy: fakeProxy() });
    writeFileSync(join(e.wt, 'README.md'), 'again\n');
    await expect(app.pr(NAME)).rejects.toThrow(/only github.com remotes are trusted/);
  });

  it('gh missing: tachikoma message; the branch was pushed', async () => {
    writeFileSync(join(e.wt, 'README.md'), 'changed\n');
    const err = await e.appNoGh.pr(NAME).then(
      () => null,
      (x: unknown) => x as Error & { hint?: string },
    );
    expect(err?.message).toBe('gh CLI not found. Install it to create PRs: https://cli.github.com');
    expect(err?.hint).toBe('Or push the branch and open a PR manually.');
    expect(remoteHas(e.remote, 'feat')).toBe(head(e.wt));
  });

  it("the dashboard's p key path (controller.pr) runs the real engine and shows the URL, or the error with its hint", async () => {
    const store = createStore(initialState(0));
    const controller = createController({ service: e.app, store, live: { poke: () => {}, refreshChanges: () => {} }, cwd: e.root, handoff: async () => 0, now: () => 0 });
    const settled = async () => {
      for (let i = 0; i < 200 && Object.keys(store.getState().ops).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
      return store.getState().message?.text ?? '';
    };
    controller.pr(NAME);
    expect(await settled()).toMatch(/Nothing to commit — no changes detected in worktree/);
    writeFileSync(join(e.wt, 'README.md'), 'changed\n');
    controller.pr(NAME);
    expect(await settled()).toBe(`${NAME}: PR https://github.com/o/myrepo/pull/1 (pending changes committed)`);
    expect(remoteHas(e.remote, 'feat')).toBe(head(e.wt));
  });
});

describe('tk pr to a GitHub Enterprise host (github_hosts)', () => {
  // The network push is the one step replaced (no network here): everything else is the real
  // adapter, so gh's environment is the one tk builds.
  function enterprise(e: Env, hosts: string[], pushUrl: string) {
    const g = new GitCli({ env: { PATH: process.env['PATH'], HOME: e.home, GH_REPO: 'attacker/x', GH_HOST: 'evil.example' }, gh: e.gh, lockDir: join(e.wt, '..', 'locks') });
    const pushes: string[] = [];
    const pr = {
      originUrl: g.originUrl.bind(g),
      diffStat: g.diffStat.bind(g),
      commitAll: g.commitAll.bind(g),
      createPr: g.createPr.bind(g),
      push: async (_wt: string, remote: { url: string; protocol: string }, branch: string) => {
        pushes.push(`${remote.url} ${remote.protocol} ${branch}`);
      },
    };
    e.store.state.vms[0] = { ...(e.store.state.vms[0] as VmRecord), push_url: pushUrl };
    const clock = new FakeClock();
    const tart = new FakeTart(clock);
    const app = createApp({ config: { ...DEFAULTS, github_hosts: hosts }, tart, ssh: new FakeSsh(tart), git: g, pr, store: e.store, host: new MemHost(), clock, proxy: fakeProxy() });
    return { app, pushes };
  }

  let e: Env;
  beforeEach(() => {
    e = setup();
  });

  it('gh gets GH_HOST and GH_REPO=HOST/OWNER/REPO from the trusted URL, whatever the caller or the repository says', async () => {
    // a guest-written origin pointing elsewhere changes nothing: the recorded URL wins
    git(e.root, 'config', '--file', join(e.root, '.git', 'config'), 'remote.origin.url', 'https://github.com/attacker/x.git');
    const { app, pushes } = enterprise(e, ['github.example.com'], 'git@github.example.com:team/myrepo.git');
    expect(await app.prPlan(NAME)).toMatchObject({ pushUrl: 'git@github.example.com:team/myrepo.git', githubHost: 'github.example.com', pushRefused: null });
    writeFileSync(join(e.wt, 'README.md'), 'changed\n');
    const r = await app.pr(NAME);
    expect(r).toMatchObject({ committed: true, pushed_to: 'git@github.example.com:team/myrepo.git' });
    expect(pushes).toEqual(['git@github.example.com:team/myrepo.git ssh feat']);
    const log = readFileSync(e.ghLog, 'utf8').split('\n');
    expect(log.slice(0, 7)).toEqual([e.wt, 'GH_REPO=github.example.com/team/myrepo', 'GH_HOST=github.example.com', 'pr', 'create', '--fill', '--head']);
  });

  it('github.com URLs target github.com explicitly', async () => {
    const { app } = enterprise(e, ['github.example.com'], 'https://github.com/o/myrepo');
    writeFileSync(join(e.wt, 'README.md'), 'changed\n');
    await app.pr(NAME);
    expect(readFileSync(e.ghLog, 'utf8').split('\n').slice(1, 3)).toEqual(['GH_REPO=github.com/o/myrepo', 'GH_HOST=github.com']);
  });

  it('a host not in github_hosts (or a lookalike) is refused before anything is committed, with how to configure it', async () => {
    for (const url of ['https://github.example.com/team/myrepo', 'https://github.example.com.evil.org/team/myrepo']) {
      const { app, pushes } = enterprise(e, url.includes('evil') ? ['github.example.com'] : [], url);
      writeFileSync(join(e.wt, 'README.md'), 'changed\n');
      const err = await app.pr(NAME).then(
        () => null,
        (x: unknown) => x as Error & { hint?: string },
      );
      expect(err?.message).toContain(`tk pr will not push to "${url}"`);
      expect(err?.hint).toContain('github_hosts = ["github.example.com"]');
      expect(pushes).toEqual([]);
      expect(git(e.wt, 'status', '--porcelain')).toBe(' M README.md\n');
      expect(existsSync(e.ghLog)).toBe(false);
    }
  });
});

describe('push credential helpers', () => {
  it('come from the global config only (an empty value resets), never from a repository', async () => {
    const home = tempDir('tk-pr-home-');
    writeFileSync(join(home, '.gitconfig'), '[credential]\n\thelper = dropped\n\thelper =\n\thelper = store\n\thelper = !gh auth git-credential\n');
    const { HardenedGit } = await import('../../src/adapters/git.js');
    const h = new HardenedGit({ env: { PATH: process.env['PATH'], HOME: home } });
    expect(await h.globalCredentialHelpers()).toEqual(['store', '!gh auth git-credential']);
    const empty = new HardenedGit({ env: { PATH: process.env['PATH'], HOME: tempDir() } });
    expect(await empty.globalCredentialHelpers()).toEqual([]);
  });
});
