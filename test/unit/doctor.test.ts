import { describe, expect, it } from 'vitest';
import {
  baseImageCheck,
  configCheck,
  doctorExitCode,
  doctorSummary,
  homeCheck,
  isLoopback,
  proxyCheck,
  renderDoctor,
  stateCheck,
  tartCheck,
  toolCheck,
  TOOLS,
  type ToolSpec,
} from '../../src/core/doctor.js';

const tool = (name: string): ToolSpec => TOOLS.find((t) => t.name === name) as ToolSpec;
const ran = (stdout: string, stderr = '', code = 0) => ({ kind: 'ran' as const, code, stdout, stderr });

describe('doctor checks', () => {
  it('tart: version when it answers; fail with the fix when missing, failing or slow', () => {
    expect(tartCheck(ran('2.35.0\n'), '/usr/local/bin/tart', 'PATH')).toEqual({ check: 'tart', level: 'ok', message: 'Found: 2.35.0 (/usr/local/bin/tart, from PATH)', passed: true });
    const missing = tartCheck({ kind: 'missing' }, '/x/tart', 'TK_TART');
    expect(missing).toMatchObject({ level: 'fail', passed: false });
    expect(missing.message).toBe('/x/tart not found (from TK_TART). Install Tart (brew install cirruslabs/cli/tart), or point tk at a tart binary with TK_TART or the tart_path config key.');
    expect(tartCheck(ran('', 'boom\nmore', 3), 'tart', 'PATH').message).toMatch(/^tart --version failed with exit code 3: boom \(from PATH\)\. Install Tart/);
    expect(tartCheck({ kind: 'timeout', ms: 3000 }, 'tart', 'PATH').message).toMatch(/^tart did not answer within 3 s/);
  });

  it('tools: ssh reads stderr; gh missing is only a warning; git missing fails', () => {
    expect(toolCheck(tool('ssh'), ran('', 'OpenSSH_9.6p1, LibreSSL 3.3.6\n'))).toMatchObject({ level: 'ok', message: 'Found: OpenSSH_9.6p1, LibreSSL 3.3.6' });
    expect(toolCheck(tool('git'), ran('git version 2.45.0\n')).message).toBe('Found: git version 2.45.0');
    expect(toolCheck(tool('git'), { kind: 'missing' })).toMatchObject({ level: 'fail', passed: false });
    const gh = toolCheck(tool('gh'), { kind: 'missing' });
    expect(gh).toMatchObject({ level: 'warn', passed: true });
    expect(gh.message).toContain('only needed for tk pr');
    // ssh-keygen has no version flag: its usage exit code is fine, not running is not.
    expect(toolCheck(tool('ssh-keygen'), ran('', 'usage: ssh-keygen', 1)).level).toBe('ok');
    expect(toolCheck(tool('ssh-keygen'), { kind: 'missing' }).level).toBe('fail');
  });

  it('config: files and trust; warnings warn; a load error fails', () => {
    expect(configCheck({ ok: true, files: [], trust: null }).message).toBe('defaults only (no config file)');
    expect(configCheck({ ok: true, files: ['/h/config.toml', '/r/.tachikoma.toml'], trust: 'untrusted' }).message).toMatch(/^read \/h\/config\.toml, \/r\/\.tachikoma\.toml; repository config not trusted .*tk config trust/);
    expect(configCheck({ ok: true, files: ['/a'], warnings: ['w1'], trust: 'changed' })).toMatchObject({ level: 'warn' });
    expect(configCheck({ ok: false, error: 'bad key x (in /h/config.toml:3)' })).toMatchObject({ level: 'fail', message: expect.stringContaining('/h/config.toml:3') });
  });

  it('home and state', () => {
    expect(homeCheck('/h', { kind: 'writable' }).level).toBe('ok');
    expect(homeCheck('/h/tk', { kind: 'creatable', ancestor: '/h' }).level).toBe('ok');
    expect(homeCheck('/h', { kind: 'not-writable', path: '/h' })).toMatchObject({ level: 'fail', message: expect.stringContaining('TK_HOME') });
    expect(stateCheck('/h/state.json', { kind: 'ok', vms: 2 }).message).toBe('/h/state.json: 2 VM(s)');
    const bad = stateCheck('/h/state.json', { kind: 'corrupt', error: 'The state file /h/state.json is corrupt: x.' });
    expect(bad).toMatchObject({ level: 'fail' });
    expect(bad.message).toBe('The state file /h/state.json is corrupt: x. Repair /h/state.json by hand, or move it away to start with an empty state (tk never resets it on its own).');
    expect(stateCheck('/s', { kind: 'corrupt', error: 'newer', hint: 'Upgrade tk.' }).message).toBe('newer. Upgrade tk.');
  });

  it('proxy port: free or ours is fine; foreign or another home fails', () => {
    expect(proxyCheck('127.0.0.1', 19280, { kind: 'free' })).toMatchObject({ level: 'ok' });
    expect(proxyCheck('127.0.0.1', 19280, { kind: 'tk', pid: 7, sameHome: true }).message).toContain('PID 7');
    expect(proxyCheck('127.0.0.1', 19280, { kind: 'tk', pid: 7, sameHome: false }).level).toBe('fail');
    expect(proxyCheck('::1', 1, { kind: 'foreign' })).toMatchObject({ level: 'fail', message: expect.stringContaining('[::1]:1') });
    expect(proxyCheck('192.168.64.1', 19280, { kind: 'not-probed', pidFile: 'absent' }).message).toContain('not probed');
  });

  it('base image: present, remote to pull, local missing, unknown', () => {
    expect(baseImageCheck('ubuntu', { kind: 'ok', names: ['ubuntu'] }).level).toBe('ok');
    expect(baseImageCheck('ghcr.io/c/u:latest', { kind: 'ok', names: [] }).message).toContain('tart pull ghcr.io/c/u:latest');
    expect(baseImageCheck('ubuntu', { kind: 'ok', names: [] })).toMatchObject({ level: 'warn', message: expect.stringContaining('tart clone ghcr.io/cirruslabs/ubuntu:latest ubuntu') });
    expect(baseImageCheck('ubuntu', { kind: 'error', message: 'x' }).level).toBe('warn');
  });

  it('loopback only', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a)).toBe(true);
    for (const a of ['192.168.64.1', '10.0.0.1', '::', '0.0.0.0', '128.0.0.1']) expect(isLoopback(a)).toBe(false);
  });

  it('exit code, summary and rendering', () => {
    const ok = tartCheck(ran('1'), 't', 'PATH');
    const warn = toolCheck(tool('gh'), { kind: 'missing' });
    const fail = toolCheck(tool('git'), { kind: 'missing' });
    expect(doctorExitCode([ok, warn])).toBe(0);
    expect(doctorExitCode([ok, fail])).toBe(1);
    expect(doctorSummary([ok])).toBe('All checks passed');
    expect(doctorSummary([ok, warn])).toBe('All checks passed, 1 warning(s)');
    expect(doctorSummary([fail, warn])).toBe('1 check(s) failed, 1 warning(s)');
    expect(renderDoctor([ok, warn, fail]).split('\n').map((l) => l.split(':')[0])).toEqual(['[ok] tart', '[warn] gh', '[FAIL] git', '1 check(s) failed, 1 warning(s)', '']);
  });
});
