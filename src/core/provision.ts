// Provisioning plan (tachikoma §5, fixed): pure builders of the two guest scripts tk sends over ONE
// SSH connection: a probe (installs tk's key, reports facts) and the main script (every remaining
// step, each framed by phase markers on stdout). Scripts travel on the channel's stdin, so secrets
// (profile env, credential files) never appear in a command line or in the log.
import type { ProvisionStep } from './model.js';
import { PROVISION_STEPS } from './model.js';
import { branchSlug } from './naming.js';

/** Steps redone on every start: the share mount is not persistent, and the guest resets its hostname. */
export const EVERY_START: readonly ProvisionStep[] = ['mount', 'hostname'];

export const LINUX_SHARE = '/mnt/tachikoma';
export const DARWIN_SHARE = '/Volumes/My Shared Files';
export const SHARE_TAG = 'com.apple.virtio-fs.automount';
const BLOCK_BEGIN = '# >>> tk >>>';
const BLOCK_END = '# <<< tk <<<';

export type GuestOs = 'linux' | 'darwin';

export function shareRoot(os: GuestOs): string {
  return os === 'darwin' ? DARWIN_SHARE : LINUX_SHARE;
}
export function guestWorktree(os: GuestOs): string {
  return `${shareRoot(os)}/code`;
}

/** POSIX single-quoting: safe for any string (quotes, newlines, leading dashes, unicode). */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function b64(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function fromB64(s: string): string {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

/** Shell that writes `content` to `path` (a shell expression, already quoted) with mode. */
function writeFile(pathExpr: string, content: string, mode: string): string {
  return `(umask 077; printf '%s' ${shq(b64(content))} | base64 -d > ${pathExpr}.tk-tmp) && chmod ${mode} ${pathExpr}.tk-tmp && mv -f ${pathExpr}.tk-tmp ${pathExpr}`;
}

// ---- probe (round trip 1) ----------------------------------------------------------------------

export interface ProbeFacts {
  os: GuestOs;
  home: string;
  /** Guest `~/.claude.json`, when present. */
  claudeJson: string | null;
  /** The guest has terminfo for the host's TERM. */
  hasTerm: boolean;
}

/** Installs tk's public key (idempotent, never duplicated) and reports facts as `@@fact` lines. */
export function probeScript(publicKey: string, term: string): string {
  return [
    'set -u',
    'umask 077',
    'mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh" && touch "$HOME/.ssh/authorized_keys" && chmod 600 "$HOME/.ssh/authorized_keys"',
    `k=${shq(publicKey.trim())}`,
    'grep -qxF "$k" "$HOME/.ssh/authorized_keys" || printf \'%s\\n\' "$k" >> "$HOME/.ssh/authorized_keys"',
    'echo "@@fact os=$(uname -s)"',
    'echo "@@fact home=$HOME"',
    `if infocmp ${shq(term)} >/dev/null 2>&1; then echo "@@fact term=1"; else echo "@@fact term=0"; fi`,
    'if [ -f "$HOME/.claude.json" ] && [ "$(wc -c < "$HOME/.claude.json")" -lt 1048576 ]; then echo "@@fact claude_json=$(base64 < "$HOME/.claude.json" | tr -d \'\\n\')"; fi',
    '',
  ].join('\n');
}

export function parseProbe(stdout: string): ProbeFacts {
  const facts = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^@@fact ([a-z_]+)=(.*)$/.exec(line.trim());
    if (m) facts.set(m[1] as string, m[2] as string);
  }
  const os = (facts.get('os') ?? '').toLowerCase() === 'darwin' ? 'darwin' : 'linux';
  let claudeJson: string | null = null;
  const cj = facts.get('claude_json');
  if (cj) {
    try {
      claudeJson = fromB64(cj);
    } catch {
      claudeJson = null;
    }
  }
  return { os, home: facts.get('home') || '/home/admin', claudeJson, hasTerm: facts.get('term') === '1' };
}

// ---- Claude Code state ---------------------------------------------------------------------------

const HOOK_EVENTS: ReadonlyArray<[string, 'working' | 'waiting' | 'idle', boolean]> = [
  ['UserPromptSubmit', 'working', false],
  ['PreToolUse', 'working', true],
  ['Notification', 'waiting', false],
  ['Stop', 'idle', false],
];

/** `~/.claude.json` so the TUI starts at its prompt: onboarding done, the worktree trusted, no key question. */
export function claudeJsonFor(existing: string | null, worktree: string, env: Record<string, string>): string {
  let obj: Record<string, unknown> = {};
  if (existing) {
    try {
      const parsed = JSON.parse(existing) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) obj = parsed as Record<string, unknown>;
    } catch {
      obj = {};
    }
  }
  obj['hasCompletedOnboarding'] = true;
  obj['bypassPermissionsModeAccepted'] = obj['bypassPermissionsModeAccepted'] ?? false;
  const projects = (obj['projects'] && typeof obj['projects'] === 'object' ? obj['projects'] : {}) as Record<string, Record<string, unknown>>;
  projects[worktree] = { ...(projects[worktree] ?? {}), hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true };
  obj['projects'] = projects;
  const key = env['ANTHROPIC_API_KEY'];
  if (key) {
    const r = (obj['customApiKeyResponses'] ?? { approved: [], rejected: [] }) as { approved: string[]; rejected: string[] };
    const tail = key.slice(-20);
    if (!r.approved.includes(tail)) r.approved.push(tail);
    r.rejected = (r.rejected ?? []).filter((x) => x !== tail);
    obj['customApiKeyResponses'] = r;
  }
  return JSON.stringify(obj, null, 2) + '\n';
}

export interface CleanedSettings {
  settings: Record<string, unknown>;
  /** `mcpServers.*.env` string values to export (sync_mcp_servers), minus credentials in proxy mode. */
  mcpEnv: Record<string, string>;
  warnings: string[];
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** tachikoma §5.7h: the host's settings.json minus hooks/statusLine (and mcpServers unless synced), macOS-only denies dropped; tk's agent-state hooks added. */
export function cleanSettings(hostText: string | null, opts: { syncMcp: boolean; proxyMode: boolean; hookCommand: string }): CleanedSettings {
  const warnings: string[] = [];
  let s: Record<string, unknown> = {};
  if (hostText !== null) {
    try {
      const parsed = JSON.parse(hostText) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) s = parsed as Record<string, unknown>;
      else warnings.push('~/.claude/settings.json is not a JSON object: not copied to the VM.');
    } catch (e) {
      warnings.push(`~/.claude/settings.json is not valid JSON (${(e as Error).message}): not copied to the VM.`);
    }
  }
  const mcpEnv: Record<string, string> = {};
  if (opts.syncMcp && s['mcpServers'] && typeof s['mcpServers'] === 'object') {
    for (const server of Object.values(s['mcpServers'] as Record<string, unknown>)) {
      const env = (server as { env?: unknown })?.env;
      if (!env || typeof env !== 'object') continue;
      for (const [k, v] of Object.entries(env as Record<string, unknown>)) {
        if (typeof v !== 'string') continue;
        if (!ENV_NAME.test(k)) {
          warnings.push(`MCP env var ${JSON.stringify(k)} is not a valid name: skipped.`);
          continue;
        }
        if (opts.proxyMode && ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_AUTH_TOKEN'].includes(k)) continue;
        mcpEnv[k] = v;
      }
    }
  }
  delete s['hooks'];
  delete s['statusLine'];
  if (!opts.syncMcp) delete s['mcpServers'];
  const perms = s['permissions'] as { deny?: unknown } | undefined;
  if (perms && Array.isArray(perms.deny)) perms.deny = perms.deny.filter((d) => !(typeof d === 'string' && d.includes('~/Library/')));
  const hooks: Record<string, unknown[]> = {};
  for (const [event, state, matcher] of HOOK_EVENTS) {
    hooks[event] = [{ ...(matcher ? { matcher: '*' } : {}), hooks: [{ type: 'command', command: `${opts.hookCommand} ${state}` }] }];
  }
  s['hooks'] = hooks;
  return { settings: s, mcpEnv: Object.fromEntries(Object.entries(mcpEnv).sort(([a], [b]) => (a < b ? -1 : 1))), warnings };
}

// ---- main script (round trip 2) --------------------------------------------------------------------

export interface MainScriptInput {
  vm: string;
  branch: string;
  os: GuestOs;
  /** Steps to run, in PROVISION_STEPS order (ssh-key is the probe's). */
  steps: readonly ProvisionStep[];
  /** share_claude_dirs that are shared (`claude-<d>`). */
  claudeDirs: readonly string[];
  /** Profile env (credentials/proxy, MCP env); TACHIKOMA=1 and PATH are added. */
  env: Record<string, string>;
  /** Files under $HOME (direct-mode credentials), mode 0600. */
  files: ReadonlyArray<{ path: string; content: string }>;
  agentInstallCommand: string;
  claudeJson: string;
  settingsJson: string;
  scripts: ReadonlyArray<{ path: string; content: string }>;
}

export interface MainScript {
  script: string;
  /** Steps that will emit markers, in order. */
  steps: ProvisionStep[];
  /** Lines for the log (notes about skipped steps). Never secrets. */
  notes: string[];
  /** Steps the script skips (not needed), with the reason: tk's own words, not the guest's. */
  skips: Partial<Record<ProvisionStep, string>>;
}

function validEnvName(k: string): boolean {
  return ENV_NAME.test(k);
}

function safeRelPath(p: string): boolean {
  return p !== '' && !p.startsWith('/') && !p.split('/').some((seg) => seg === '..' || seg === '');
}

export function envFile(env: Record<string, string>): string {
  const lines = ['# Written by tk (provisioning). Sourced by ~/.profile and tk exec.', 'export TACHIKOMA=1', 'export PATH="$HOME/.local/bin:$PATH"'];
  const all: Record<string, string> = { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', ...env };
  for (const [k, v] of Object.entries(all)) if (validEnvName(k) && k !== 'PATH' && k !== 'TACHIKOMA') lines.push(`export ${k}=${shq(v)}`);
  return lines.join('\n') + '\n';
}

export function mainScript(input: MainScriptInput): MainScript {
  const share = shareRoot(input.os);
  const code = guestWorktree(input.os);
  const notes: string[] = [];
  const skips: Partial<Record<ProvisionStep, string>> = {};
  const out: string[] = [
    'set -u',
    `SHARE=${shq(share)}`,
    `CODE=${shq(code)}`,
    // Markers come only from this frame on stdout; step output goes to stderr, so nothing a step
    // prints can fake a marker.
    'tk_mark() { printf \'@@tk phase=%s event=%s%s\\n\' "$1" "$2" "${3:+ $3}"; }',
    'tk_step() { n=$1; shift; tk_mark "$n" start; ( set -e; "$@" ) 1>&2; rc=$?; if [ $rc -eq 0 ]; then tk_mark "$n" end result=ok; else tk_mark "$n" end "result=failed msg=exit $rc"; exit $rc; fi; }',
    'tk_skip() { tk_mark "$1" start; tk_mark "$1" end "result=skipped msg=$2"; }',
  ];
  const steps: ProvisionStep[] = [];
  const slug = branchSlug(input.branch);
  for (const step of PROVISION_STEPS) {
    if (!input.steps.includes(step) || step === 'ssh-key') continue;
    steps.push(step);
    const fn = `step_${step.replace(/-/g, '_')}`;
    const body: string[] = [];
    let skip: string | null = null;
    switch (step) {
      case 'mount':
        if (input.os === 'darwin') {
          body.push('test -d "$CODE" || { echo "the shared folder $CODE is missing (macOS automount)"; exit 1; }');
        } else {
          body.push(
            'sudo mkdir -p "$SHARE"',
            `if ! mountpoint -q "$SHARE"; then sudo mount -t virtiofs ${SHARE_TAG} "$SHARE"; fi`,
            'test -d "$CODE" || { echo "the worktree share is missing at $CODE"; exit 1; }',
          );
        }
        break;
      case 'git':
        body.push(
          'ln -sfn "$CODE" "$HOME/code"',
          // A linked worktree's .git file names the host's gitdir: recreate that host path in the
          // guest as a root-owned symlink to the shared .git (the shared file is never rewritten).
          'if [ -f "$CODE/.git" ]; then',
          '  gd=$(sed -n \'s/^gitdir: //p\' "$CODE/.git" | head -n 1 | tr -d \'\\r\')',
          '  case "$gd" in /*/worktrees/*) wt=${gd##*/worktrees/} ;; *) wt= ;; esac',
          '  case "$wt" in */*|.|..) wt= ;; esac',
          '  if [ -n "$wt" ] && [ -d "$SHARE/dotgit/worktrees/$wt" ] && { [ ! -e "$gd" ] || [ -L "$gd" ]; }; then',
          '    sudo mkdir -p "$(dirname "$gd")" && sudo ln -sfn "$SHARE/dotgit/worktrees/$wt" "$gd"',
          '  fi',
          'fi',
          'for d in "$CODE" "$SHARE/dotgit"; do git config --global --get-all safe.directory 2>/dev/null | grep -qxF "$d" || git config --global --add safe.directory "$d"; done',
          'git config --global user.name >/dev/null 2>&1 || git config --global user.name Tachikoma',
          'git config --global user.email >/dev/null 2>&1 || git config --global user.email tachikoma@localhost',
          'git -C "$CODE" rev-parse --git-dir >/dev/null',
        );
        break;
      case 'hostname':
        if (input.os === 'darwin') skip = 'macOS guest: hostname left as is (Linux-only step)';
        else if (slug === '') skip = 'the branch name has no letters or digits for a hostname';
        else {
          body.push(
            `h=${shq(slug)}`,
            // /etc/hosts first, so sudo can resolve the new name.
            'grep -q "[[:space:]]$h\\$" /etc/hosts || printf \'127.0.1.1\\t%s\\n\' "$h" | sudo tee -a /etc/hosts >/dev/null',
            'sudo hostname "$h" 2>/dev/null || sudo hostnamectl set-hostname "$h" 2>/dev/null || true',
            'printf \'%s\\n\' "$h" | sudo tee /etc/hostname >/dev/null',
            'test "$(hostname)" = "$h"',
          );
        }
        break;
      case 'profile': {
        body.push('mkdir -p "$HOME/.tk" && chmod 700 "$HOME/.tk"', writeFile('"$HOME/.tk/env.sh"', envFile(input.env), '600'));
        for (const f of input.files) {
          if (!safeRelPath(f.path)) {
            notes.push(`credential file ${JSON.stringify(f.path)} is not a plain path under $HOME: skipped`);
            continue;
          }
          body.push(`mkdir -p "$(dirname "$HOME/"${shq(f.path)})"`, writeFile(`"$HOME/"${shq(f.path)}`, f.content, '600'));
        }
        const block = [BLOCK_BEGIN, '[ -f "$HOME/.tk/env.sh" ] && . "$HOME/.tk/env.sh"', `[ -d ${shq(code)} ] && cd ${shq(code)}`, BLOCK_END].join('\n');
        body.push(
          'touch "$HOME/.profile"',
          `awk -v b=${shq(BLOCK_BEGIN)} -v e=${shq(BLOCK_END)} '$0==b{s=1} !s{print} $0==e{s=0}' "$HOME/.profile" > "$HOME/.profile.tk-tmp"`,
          `printf '%s\\n' ${shq(block)} >> "$HOME/.profile.tk-tmp"`,
          'mv -f "$HOME/.profile.tk-tmp" "$HOME/.profile"',
        );
        break;
      }
      case 'agent-install':
        if (input.agentInstallCommand.trim() === '') skip = 'agent_install_command is empty';
        else body.push(`( . "$HOME/.tk/env.sh"; cd "$CODE"; bash -c ${shq(input.agentInstallCommand)} )`);
        break;
      case 'agent-config': {
        const hook = ['#!/bin/sh', `d=${shq(`${share}/tk-status`)}`, '[ -d "$d" ] || exit 0', 'case "$1" in working|waiting|idle) ;; *) exit 0 ;; esac', 'printf \'{"state":"%s","at":"%s"}\\n\' "$1" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$d/agent.json.tmp" && mv -f "$d/agent.json.tmp" "$d/agent.json"', ''].join('\n');
        body.push('mkdir -p "$HOME/.claude" "$HOME/.tk"', writeFile('"$HOME/.tk/agent-state"', hook, '755'));
        for (const d of input.claudeDirs) {
          body.push(`if [ -d "$SHARE/claude-"${shq(d)} ] && { [ ! -e "$HOME/.claude/"${shq(d)} ] || [ -L "$HOME/.claude/"${shq(d)} ]; }; then ln -sfn "$SHARE/claude-"${shq(d)} "$HOME/.claude/"${shq(d)}; fi`);
        }
        body.push(writeFile('"$HOME/.claude.json"', input.claudeJson, '600'), writeFile('"$HOME/.claude/settings.json"', input.settingsJson, '600'));
        break;
      }
      case 'scripts':
        if (input.scripts.length === 0) skip = 'no provision_scripts or profiles';
        input.scripts.forEach((s, i) => {
          body.push(`echo ${shq(`running ${s.path}`)}`, writeFile(`"$HOME/.tk/script-${i}.sh"`, s.content, '700'), `( . "$HOME/.tk/env.sh"; cd "$CODE"; bash "$HOME/.tk/script-${i}.sh" ) || { echo ${shq(`${s.path} failed`)}; exit 1; }`);
        });
        break;
      default:
        break;
    }
    if (skip !== null) {
      out.push(`tk_skip ${step} ${shq(skip)}`);
      notes.push(`${step}: skipped (${skip})`);
      skips[step] = skip;
    } else {
      out.push(`${fn}() {`, ...body.map((l) => `  ${l}`), '}', `tk_step ${step} ${fn}`);
    }
  }
  out.push('');
  return { script: out.join('\n'), steps, notes, skips };
}

/** Steps still to run for a VM: the undone ones, plus the every-start ones when the VM (re)booted. */
export function stepsToRun(done: readonly ProvisionStep[], booted: boolean): ProvisionStep[] {
  return PROVISION_STEPS.filter((s) => !done.includes(s) || (booted && EVERY_START.includes(s)));
}
