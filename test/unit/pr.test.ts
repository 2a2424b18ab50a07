import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/core/app.js';
import { combineStat, commitMessage, dangerousPushKeys, trustedRemote } from '../../src/core/pr.js';
import type { VmRecord } from '../../src/core/model.js';
import type { PrPort } from '../../src/ports/git.js';
import { world, type World } from './engine-fakes.js';

describe('trustedRemote (the push URL rule)', () => {
  it('accepts the three github.com forms and derives owner/repo', () => {
    expect(trustedRemote('https://github.com/ClickHouse/tachikoma.git')).toEqual({ url: 'https://github.com/ClickHouse/tachikoma.git', protocol: 'https', ghRepo: 'ClickHouse/tachikoma', ghHost: 'github.com' });
    expect(trustedRemote('https://github.com/o/r')).toMatchObject({ protocol: 'https', ghRepo: 'o/r' });
    expect(trustedRemote('git@github.com:o/r.git')).toMatchObject({ protocol: 'ssh', ghRepo: 'o/r' });
    expect(trustedRemote('ssh://git@github.com/o/r.git')).toMatchObject({ protocol: 'ssh', ghRepo: 'o/r' });
  });

  it.each([
    'https://evil.example/o/r',
    'https://github.com.evil.example/o/r',
    'https://user:pw@github.com/o/r',
    'https://github.com:8443/o/r',
    'https://github.com/o/r?x=1',
    'https://github.com/o/r/extra',
    'http://github.com/o/r',
    'ext::sh -c touch% /tmp/x',
    'git@github.com:o/r.git -oProxyCommand=x',
    'ssh://git@github.com:22/o/r',
    'ssh://-oProxyCommand=x/o/r',
    'git@evil.example:o/r',
    '/home/u/repo.git',
    'file:///home/u/repo.git',
    'https://github.com/../r',
    'https://github.com/o/..',
    'https://github.com/o/r\nhttps://evil',
  ])('refuses %j', (url) => {
    expect(() => trustedRemote(url)).toThrow(/only github.com remotes are trusted/);
  });

  it('accepts a file:// URL only when local pushes are allowed (tests)', () => {
    expect(trustedRemote('file:///tmp/x.git', { allowLocal: true })).toEqual({ url: 'file:///tmp/x.git', protocol: 'file', ghRepo: null, ghHost: null });
    expect(() => trustedRemote('/tmp/x.git', { allowLocal: true })).toThrow();
    expect(() => trustedRemote('file:///tmp/x.git')).toThrow();
  });
});

describe('trustedRemote with github_hosts (GitHub Enterprise)', () => {
  const hosts = ['github.example.com', 'ghe.corp.internal'];

  it('accepts the three forms for a configured host exactly, and github.com still', () => {
    expect(trustedRemote('https://github.example.com/team/app.git', { githubHosts: hosts })).toEqual({ url: 'https://github.example.com/team/app.git', protocol: 'https', ghRepo: 'team/app', ghHost: 'github.example.com' });
    expect(trustedRemote('git@github.example.com:team/app.git', { githubHosts: hosts })).toMatchObject({ protocol: 'ssh', ghRepo: 'team/app', ghHost: 'github.example.com' });
    expect(trustedRemote('ssh://git@ghe.corp.internal/team/app', { githubHosts: hosts })).toMatchObject({ protocol: 'ssh', ghRepo: 'team/app', ghHost: 'ghe.corp.internal' });
    expect(trustedRemote('https://github.com/o/r', { githubHosts: hosts })).toMatchObject({ ghRepo: 'o/r', ghHost: 'github.com' });
  });

  it('refuses an enterprise host that is not configured, and says how to configure it', () => {
    let err: unknown;
    try {
      trustedRemote('https://github.example.com/team/app.git');
    } catch (e) {
      err = e;
    }
    expect(String((err as Error).message)).toMatch(/only github.com remotes are trusted/);
    expect(String((err as Error).message)).toMatch(/For a GitHub Enterprise server, add its host name to github_hosts in your own config \(tk config edit\)\./);
    expect((err as { hint?: string }).hint).toMatch(/github_hosts = \["github.example.com"\]/);
    expect((err as { hint?: string }).hint).toMatch(/tk config edit/);
    expect(() => trustedRemote('https://other.example.com/o/r', { githubHosts: hosts })).toThrow(/only github.com and your github_hosts \(github.example.com, ghe.corp.internal\) remotes are trusted/);
  });

  it.each([
    'https://github.example.com.evil.org/o/r',
    'https://evilgithub.example.com/o/r',
    'https://github-example.com/o/r',
    'https://githubXexample.com/o/r',
    'https://sub.github.example.com/o/r',
    'https://GITHUB.EXAMPLE.COM/o/r',
    'https://user@github.example.com/o/r',
    'https://user:pw@github.example.com/o/r',
    'https://github.example.com@evil.org/o/r',
    'https://github.example.com:8443/o/r',
    'ssh://git@github.example.com:2222/o/r',
    'ssh://evil@github.example.com/o/r',
    'git@github.example.com.evil.org:o/r',
    'evil@github.example.com:o/r',
    'http://github.example.com/o/r',
    'https://github.example.com/o/r?x=1',
    'https://github.example.com/o/r/extra',
    'https://github.example.com/../r',
    'https://github.example.com/o/r\nhttps://evil',
  ])('refuses %j even with github.example.com configured', (url) => {
    expect(() => trustedRemote(url, { githubHosts: ['github.example.com'] })).toThrow(/will not push/);
  });

  it('ignores entries of any other shape instead of matching them loosely', () => {
    // config.ts refuses these at load time; the rule itself never widens on them either
    for (const bad of ['*.example.com', 'github.example.com:8443', 'user@github.example.com', 'GitHub.Example.com', '']) {
      expect(() => trustedRemote(`https://${bad}/o/r`, { githubHosts: [bad] }), bad).toThrow(/will not push/);
    }
    expect(() => trustedRemote('https://githubXexample.com/o/r', { githubHosts: ['github.example.com'] })).toThrow();
  });
});

describe('commit message and push blockers', () => {
  it('combines diff and status like tachikoma', () => {
    expect(combineStat('', '')).toBe('');
    expect(combineStat(' a | 1 +\n', '')).toBe('a | 1 +');
    expect(combineStat('', '?? b\n')).toBe('?? b');
    expect(combineStat(' a | 1 +\n', '?? b\n')).toBe('a | 1 +\n\nUntracked/new files:\n?? b');
    expect(commitMessage('feat', 'x')).toBe('chore: Claude changes on feat\n\nx');
  });

  it('flags url.*, URL-specific http/credential keys and risky http.* keys', () => {
    expect(
      dangerousPushKeys([
        'core.bare',
        'remote.origin.url',
        'url.file:///evil.insteadof',
        'url.x.pushInsteadOf',
        'http.https://github.com.proxy',
        'http.proxy',
        'http.sslCAInfo',
        'http.postBuffer',
        'credential.helper',
        'credential.https://github.com.helper',
        'remote.origin.pushurl',
        'remote.https://github.com/o/r.pushurl',
        'remote.git@github.com:o/r.receivepack',
      ]),
    ).toEqual(['url.file:///evil.insteadof', 'url.x.pushInsteadOf', 'http.https://github.com.proxy', 'http.proxy', 'http.sslCAInfo', 'credential.https://github.com.helper', 'remote.https://github.com/o/r.pushurl', 'remote.git@github.com:o/r.receivepack']);
  });
});

interface FakePr extends PrPort {
  calls: string[];
  origin: string | null;
  stat: { diff: string; status: string };
}

function fakePr(): FakePr {
  const f: FakePr = {
    calls: [],
    origin: 'https://github.com/o/app.git',
    stat: { diff: '', status: '' },
    async originUrl(root) {
      f.calls.push(`origin ${root}`);
      return f.origin;
    },
    async diffStat() {
      return f.stat;
    },
    async commitAll(wt, msg) {
      f.calls.push(`commit ${wt} ${msg}`);
    },
    async push(wt, remote, branch) {
      f.calls.push(`push ${wt} ${remote.url} ${remote.protocol} ${branch}`);
    },
    async createPr(wt, branch, target) {
      f.calls.push(`gh ${wt} ${branch} ${target ? `${target.host} ${target.repo}` : 'null'}`);
      return 'https://github.com/o/app/pull/7\n'.trim();
    },
  };
  return f;
}

function withPr(w: World, pr: PrPort, unpushed = 0) {
  const git = { ...w.git, unpushedCommits: async () => unpushed };
  return createApp({ config: w.config, tart: w.tart, ssh: w.ssh, git, store: w.store, host: w.host, clock: w.clock, proxy: w.proxy, pr }, { haltTimeoutMs: 2000 });
}

function rec(over: Partial<VmRecord> = {}): VmRecord {
  return {
    name: 'tachikoma-app-feat',
    repo: 'app',
    branch: 'feat',
    worktree_path: '/repos/app-feat',
    created_at: '2026-01-01T00:00:00.000Z',
    last_used: '2026-01-01T00:00:00.000Z',
    status: 'stopped',
    ip: null,
    repo_root: '/repos/app',
    ...over,
  };
}

describe('App.pr', () => {
  it('spawn records the trusted origin URL before the first boot, and only a valid one', async () => {
    const w = world();
    const pr = fakePr();
    const app = withPr(w, pr);
    const run = w.tart.run.bind(w.tart);
    let atFirstRun: string | undefined | null = null;
    w.tart.run = (...a: Parameters<typeof run>) => {
      if (atFirstRun === null) atFirstRun = w.store.state.vms[0]?.push_url;
      return run(...a);
    };
    await app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(atFirstRun).toBe('https://github.com/o/app.git');
    expect(w.store.state.vms[0]?.push_url).toBe('https://github.com/o/app.git');

    const w2 = world();
    const pr2 = fakePr();
    pr2.origin = 'file:///home/u/evil.git';
    await withPr(w2, pr2).spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(w2.store.state.vms[0]).toBeDefined();
    expect(w2.store.state.vms[0]?.push_url).toBeUndefined();
  });

  it('commits, pushes to the recorded URL (not the current origin) and opens the PR', async () => {
    const w = world();
    const pr = fakePr();
    pr.origin = 'https://github.com/attacker/app.git';
    pr.stat = { diff: ' a.txt | 1 +\n', status: '?? b.txt\n' };
    w.store.state.vms.push(rec({ push_url: 'git@github.com:o/app.git' }));
    const events: string[] = [];
    const r = await withPr(w, pr).pr('tachikoma-app-feat', { onProgress: (e) => events.push(e.message) });
    expect(r).toEqual({ url: 'https://github.com/o/app/pull/7', committed: true, branch: 'feat', pushed_to: 'git@github.com:o/app.git' });
    expect(pr.calls).toEqual([
      'commit /repos/app-feat chore: Claude changes on feat\n\na.txt | 1 +\n\nUntracked/new files:\n?? b.txt',
      'push /repos/app-feat git@github.com:o/app.git ssh feat',
      'gh /repos/app-feat feat github.com o/app',
    ]);
    expect(events).toEqual(['Committing changes...', 'Pushing feat...', 'Creating PR...']);
  });

  it('nothing to commit and nothing unpushed: tachikoma error, nothing pushed', async () => {
    const w = world();
    const pr = fakePr();
    w.store.state.vms.push(rec({ push_url: 'https://github.com/o/app' }));
    await expect(withPr(w, pr).pr('tachikoma-app-feat')).rejects.toThrow('Nothing to commit — no changes detected in worktree');
    expect(pr.calls).toEqual([]);
  });

  it('unpushed commits only: pushes and opens the PR without committing', async () => {
    const w = world();
    const pr = fakePr();
    w.store.state.vms.push(rec({ push_url: 'https://github.com/o/app' }));
    const r = await withPr(w, pr, 2).pr('tachikoma-app-feat');
    expect(r.committed).toBe(false);
    expect(pr.calls).toEqual(['push /repos/app-feat https://github.com/o/app https feat', 'gh /repos/app-feat feat github.com o/app']);
  });

  it('a VM spawned before push_url existed: origin is read now and must pass the rule', async () => {
    const w = world();
    const pr = fakePr();
    pr.stat = { diff: ' a | 1 +\n', status: '' };
    pr.origin = 'https://evil.example/o/app.git';
    w.store.state.vms.push(rec());
    await expect(withPr(w, pr).pr('tachikoma-app-feat')).rejects.toThrow(/will not push to "https:\/\/evil.example/);
    expect(pr.calls).toEqual(['origin /repos/app']);
    pr.origin = null;
    await expect(withPr(w, pr).pr('tachikoma-app-feat')).rejects.toThrow(/no remote.origin.url/);
    pr.origin = 'https://github.com/o/app';
    pr.calls.length = 0;
    await withPr(w, pr).pr('tachikoma-app-feat');
    expect(pr.calls.at(-1)).toBe('gh /repos/app-feat feat github.com o/app');
  });

  it('github_hosts: spawn records an enterprise URL only for a configured host; pr targets that host', async () => {
    const w = world();
    const pr = fakePr();
    pr.origin = 'git@github.example.com:team/app.git';
    await withPr(w, pr).spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(w.store.state.vms[0]?.push_url).toBeUndefined();

    const w2 = world();
    w2.config.github_hosts = ['github.example.com'];
    const pr2 = fakePr();
    pr2.origin = 'git@github.example.com:team/app.git';
    const app = withPr(w2, pr2, 1);
    await app.spawn({ cwd: '/repos/app', branch: 'feat' });
    expect(w2.store.state.vms[0]?.push_url).toBe('git@github.example.com:team/app.git');
    pr2.origin = 'https://github.com/attacker/app.git';
    pr2.calls.length = 0;
    const name = w2.store.state.vms[0]!.name;
    const plan = await app.prPlan(name);
    expect(plan).toMatchObject({ pushUrl: 'git@github.example.com:team/app.git', githubHost: 'github.example.com', pushRefused: null });
    await app.pr(name);
    expect(pr2.calls).toEqual([`push ${w2.store.state.vms[0]!.worktree_path} git@github.example.com:team/app.git ssh feat`, `gh ${w2.store.state.vms[0]!.worktree_path} feat github.example.com team/app`]);
  });

  it('github_hosts: a recorded enterprise URL is checked again with the hosts known now', async () => {
    const w = world();
    const pr = fakePr();
    pr.stat = { diff: ' a | 1 +\n', status: '' };
    w.store.state.vms.push(rec({ push_url: 'https://github.example.com/team/app' }));
    const plan = await withPr(w, pr).prPlan('tachikoma-app-feat');
    expect(plan.pushUrl).toBeNull();
    expect(plan.githubHost).toBeNull();
    expect(plan.pushRefused).toMatch(/only github.com remotes are trusted/);
    await expect(withPr(w, pr).pr('tachikoma-app-feat')).rejects.toThrow(/will not push to "https:\/\/github.example.com/);
    expect(pr.calls).toEqual([]);
  });

  it('unknown VM: not found', async () => {
    const w = world();
    await expect(withPr(w, fakePr()).pr('nope')).rejects.toThrow(/No VM named "nope"/);
  });
});
