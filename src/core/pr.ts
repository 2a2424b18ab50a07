// `tk pr` rules (pure): which push URLs the host trusts, and the commit message.
import { TkError } from './errors.js';

export interface TrustedRemote {
  /** The URL pushed to, exactly as validated. */
  url: string;
  /** The only transport allowed for the push (`protocol.<scheme>.allow=always`, everything else never). */
  protocol: 'https' | 'ssh' | 'file';
  /** `owner/repo`, for gh's `GH_REPO` (null for a local test remote). */
  ghRepo: string | null;
  /** The GitHub host of the URL (`github.com` or a configured `github_hosts` entry), for `GH_HOST` (null: local). */
  ghHost: string | null;
}

export interface TrustOptions {
  /** Local `file:///` remotes (tests only: a local receive-pack runs the target repository's hooks). */
  allowLocal?: boolean;
  /** GitHub Enterprise hosts from the user's own config (`github_hosts`); github.com is always accepted. */
  githubHosts?: readonly string[];
}

const NAME = '[A-Za-z0-9][A-Za-z0-9._-]{0,99}';
/** A lowercase DNS name, the only shape `github_hosts` entries can have (config.ts checks them). */
const HOST_SHAPE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function forms(host: string): ReadonlyArray<readonly [RegExp, 'https' | 'ssh']> {
  const h = escapeRe(host);
  return [
    [new RegExp(`^https://${h}/(${NAME})/(${NAME}?)(?:\\.git)?/?$`), 'https'],
    [new RegExp(`^git@${h}:(${NAME})/(${NAME}?)(?:\\.git)?$`), 'ssh'],
    [new RegExp(`^ssh://git@${h}/(${NAME})/(${NAME}?)(?:\\.git)?/?$`), 'ssh'],
  ];
}

/**
 * The push URL rule. The main repository's `.git/config` can be written by any VM, so its
 * `remote.origin.url` is accepted only in one of three GitHub forms (`https://HOST/O/R`,
 * `git@HOST:O/R`, `ssh://git@HOST/O/R`, optional `.git`) where HOST is github.com or, exactly, one
 * of the user's `github_hosts`: no user info, port, query, other host or local path can slip
 * through. Local paths (`file://`) are accepted only when `allowLocal` is set.
 */
export function trustedRemote(url: string, opts: TrustOptions = {}): TrustedRemote {
  // Entries were validated when the config was loaded; anything of another shape is skipped, never matched loosely.
  const hosts = ['github.com', ...(opts.githubHosts ?? []).filter((h) => HOST_SHAPE.test(h) && h !== 'github.com')];
  for (const host of hosts) {
    for (const [re, protocol] of forms(host)) {
      const m = re.exec(url);
      if (m) {
        const repo = (m[2] as string).replace(/\.git$/, '');
        if (repo !== '' && repo !== '.' && repo !== '..' && m[1] !== '..' && m[1] !== '.') return { url, protocol, ghRepo: `${m[1]}/${repo}`, ghHost: host };
      }
    }
  }
  if (opts.allowLocal && /^file:\/\/\/[^\n]*$/.test(url) && !/[\0-\x1f]/.test(url)) return { url, protocol: 'file', ghRepo: null, ghHost: null };
  const extra = hosts.slice(1);
  const accepted = extra.length > 0 ? `github.com and your github_hosts (${extra.join(', ')})` : 'github.com';
  throw new TkError('git', `tk pr will not push to ${JSON.stringify(url)}: only ${accepted} remotes are trusted (https://HOST/OWNER/REPO, git@HOST:OWNER/REPO or ssh://git@HOST/OWNER/REPO). For a GitHub Enterprise server, add its host name to github_hosts in your own config (tk config edit).`, {
    hint:
      'VMs can write the repository config, so tk pushes only to a GitHub URL it recorded or can verify. ' +
      'For a GitHub Enterprise server you use, add its host name to your own config (tk config edit, then github_hosts = ["github.example.com"]; repository config files cannot set it) and spawn again; check the host first: the VM can write remote.origin.url. ' +
      'Otherwise push the branch yourself (git push) and open the PR manually, or set remote.origin.url of the main checkout to a github.com URL and spawn again.',
  });
}

/** tachikoma §8: `git diff --stat HEAD` and `git status --short` combined. */
export function combineStat(diff: string, status: string): string {
  const d = diff.trim();
  const s = status.trim();
  if (d && s) return `${d}\n\nUntracked/new files:\n${s}`;
  return d || s;
}

export function commitMessage(branch: string, stat: string): string {
  return `chore: Claude changes on ${branch}\n\n${stat}`;
}

export function nothingToCommit(): TkError {
  return new TkError('git', 'Nothing to commit — no changes detected in worktree', {
    hint: 'The worktree has no uncommitted changes and no unpushed commits; there is nothing to open a PR for.',
  });
}

/**
 * Repository-scope config keys that could redirect the push or capture its credentials and cannot
 * be shadowed from the command line: `url.*.insteadOf`/`pushInsteadOf`, URL-specific `http.<url>.*`
 * and `credential.<url>.*`, `remote.<url>.*` (git treats the pushed URL as a remote name), and
 * generic `http.*` other than harmless tuning keys.
 */
const SAFE_HTTP = new Set(['http.postbuffer', 'http.lowspeedlimit', 'http.lowspeedtime', 'http.version', 'http.maxrequests', 'http.minsessions', 'http.sslverify']);
export function dangerousPushKeys(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of names) {
    const n = raw.toLowerCase();
    const parts = n.split('.');
    const section = parts[0];
    if (section === 'url') out.push(raw);
    else if (section === 'http' && (parts.length > 2 || !SAFE_HTTP.has(n))) out.push(raw);
    else if (section === 'credential' && parts.length > 2) out.push(raw);
    // `git push <url>` reads `remote.<url>.*` (pushurl, proxy, receivepack, vcs) as if <url> were a remote's name.
    else if (section === 'remote' && parts.length > 2 && /[:/\\]/.test(parts.slice(1, -1).join('.'))) out.push(raw);
  }
  return [...new Set(out)];
}
