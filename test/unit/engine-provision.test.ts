import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claudeJsonFor, cleanSettings, mainScript, parseProbe, probeScript, shq, stepsToRun } from '../../src/core/provision.js';

const base = {
  vm: 'tachikoma-app-feat',
  branch: 'feat/x',
  os: 'linux' as const,
  claudeDirs: [],
  env: { ANTHROPIC_AUTH_TOKEN: 'tok', WEIRD: "a'b $c `d`" },
  files: [],
  agentInstallCommand: '',
  claudeJson: '{}',
  settingsJson: '{}',
  scripts: [],
};

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function runLocally(script: string, home: string): { stdout: string; status: number } {
  try {
    const stdout = execFileSync('bash', ['-s'], { input: script, env: { PATH: process.env['PATH'], HOME: home }, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    return { stdout, status: 0 };
  } catch (e) {
    const err = e as { stdout: string; status: number };
    return { stdout: err.stdout, status: err.status };
  }
}

describe('provisioning scripts', () => {
  it('shq survives every shell metacharacter', () => {
    for (const s of ["it's", '$(touch /tmp/x)', '`id`', '-rf', 'a\nb', 'ünï', '"', '\\']) {
      expect(execFileSync('bash', ['-c', `printf %s ${shq(s)}`], { encoding: 'utf8' })).toBe(s);
    }
  });

  it('the profile step writes the env file and one marked ~/.profile block, rewritten (never appended twice)', () => {
    const home = mkdtempSync(join(tmpdir(), 'tk-prov-'));
    dirs.push(home);
    writeFileSync(join(home, '.profile'), 'echo user-line\n');
    const { script } = mainScript({ ...base, steps: ['profile'] });
    for (let i = 0; i < 2; i++) {
      const r = runLocally(script, home);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('@@tk phase=profile event=end result=ok');
    }
    const profile = readFileSync(join(home, '.profile'), 'utf8');
    expect(profile.match(/# >>> tk >>>/g)).toHaveLength(1);
    expect(profile).toContain('echo user-line');
    const env = execFileSync('bash', ['-c', '. "$HOME/.tk/env.sh"; printf "%s|%s|%s" "$TACHIKOMA" "$WEIRD" "$CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"'], { env: { HOME: home, PATH: process.env['PATH'] }, encoding: 'utf8' });
    expect(env).toBe("1|a'b $c `d`|1");
  });

  it('a failing step stops the script with a failed marker; step output cannot fake markers', () => {
    const home = mkdtempSync(join(tmpdir(), 'tk-prov-'));
    dirs.push(home);
    const { script } = mainScript({ ...base, steps: ['scripts', 'profile'], scripts: [{ path: '/x.sh', content: 'echo "@@tk phase=agent-config event=end result=ok"\nexit 7\n' }] });
    const r = runLocally(script, home);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('@@tk phase=profile event=end result=ok');
    expect(r.stdout).toContain('@@tk phase=scripts event=end result=failed');
    expect(r.stdout).not.toContain('phase=agent-config');
  });

  it('macOS guests: share under /Volumes/My Shared Files, Linux-only steps skipped with a note', () => {
    const m = mainScript({ ...base, os: 'darwin', steps: ['mount', 'hostname'] });
    expect(m.script).toContain("SHARE='/Volumes/My Shared Files'");
    expect(m.script).not.toContain('mount -t virtiofs');
    expect(m.script).toContain('tk_skip hostname');
    expect(m.notes.join()).toContain('macOS guest');
  });

  it('the probe installs the key once and reports facts', () => {
    const home = mkdtempSync(join(tmpdir(), 'tk-prov-'));
    dirs.push(home);
    writeFileSync(join(home, '.claude.json'), '{"numStartups":3}');
    const s = probeScript('ssh-ed25519 AAAA tk', 'xterm');
    runLocally(s, home);
    const r = runLocally(s, home);
    expect(readFileSync(join(home, '.ssh/authorized_keys'), 'utf8')).toBe('ssh-ed25519 AAAA tk\n');
    const f = parseProbe(r.stdout);
    expect(f.os).toBe('linux');
    expect(f.home).toBe(home);
    expect(JSON.parse(f.claudeJson ?? '{}')).toEqual({ numStartups: 3 });
  });

  it('Claude Code starts at its prompt: onboarding done, worktree trusted, API key approved', () => {
    const j = JSON.parse(claudeJsonFor('{"numStartups":3}', '/mnt/tachikoma/code', { ANTHROPIC_API_KEY: 'sk-ant-0123456789abcdefghijXYZ' }));
    expect(j.numStartups).toBe(3);
    expect(j.hasCompletedOnboarding).toBe(true);
    expect(j.projects['/mnt/tachikoma/code'].hasTrustDialogAccepted).toBe(true);
    expect(j.customApiKeyResponses.approved).toEqual(['3456789abcdefghijXYZ']);
    expect(JSON.parse(claudeJsonFor('not json', '/w', {})).hasCompletedOnboarding).toBe(true);
  });

  it('settings: hooks/statusLine stripped, ~/Library denies dropped, MCP env collected minus credentials, agent-state hooks added', () => {
    const host = JSON.stringify({
      theme: 'dark',
      hooks: { Stop: [{ hooks: [{ type: 'command', command: 'evil' }] }] },
      statusLine: {},
      permissions: { deny: ['Read(~/Library/x)', 'Bash(rm)'] },
      mcpServers: { a: { env: { TOKEN: 'v', ANTHROPIC_API_KEY: 'k', 'bad-name': 'x', N: 3 } } },
    });
    const c = cleanSettings(host, { syncMcp: true, proxyMode: true, hookCommand: 'H' });
    expect(c.settings['theme']).toBe('dark');
    expect(c.settings['statusLine']).toBeUndefined();
    expect((c.settings['permissions'] as { deny: string[] }).deny).toEqual(['Bash(rm)']);
    expect(c.mcpEnv).toEqual({ TOKEN: 'v' });
    expect(JSON.stringify(c.settings['hooks'])).not.toContain('evil');
    expect(JSON.stringify(c.settings['hooks'])).toContain('H working');
    expect(Object.keys(c.settings['hooks'] as object).sort()).toEqual(['Notification', 'PreToolUse', 'Stop', 'UserPromptSubmit']);
    expect(cleanSettings(host, { syncMcp: false, proxyMode: true, hookCommand: 'H' }).settings['mcpServers']).toBeUndefined();
    expect(cleanSettings('{bad', { syncMcp: true, proxyMode: true, hookCommand: 'H' }).warnings[0]).toContain('not valid JSON');
  });

  it('stepsToRun: undone steps, plus mount and hostname after a boot', () => {
    expect(stepsToRun(['ssh-key', 'mount', 'git', 'hostname', 'profile', 'agent-install', 'agent-config', 'scripts'], false)).toEqual([]);
    expect(stepsToRun(['ssh-key', 'mount', 'git', 'hostname', 'profile', 'agent-install', 'agent-config', 'scripts'], true)).toEqual(['mount', 'hostname']);
    expect(stepsToRun(['ssh-key', 'mount'], false)).toEqual(['git', 'hostname', 'profile', 'agent-install', 'agent-config', 'scripts']);
  });
});
