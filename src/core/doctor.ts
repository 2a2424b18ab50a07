// `tk doctor`: the pure part. Turns probe results (tool versions, config, state, proxy, tart list)
// into checks with a level and a message that says what to do; the CLI runs the probes.

export type CheckLevel = 'ok' | 'warn' | 'fail';

/** One check: tachikoma's `{check, message, passed}` plus tk's level (`passed` is level !== 'fail'). */
export interface DoctorCheck {
  check: string;
  level: CheckLevel;
  message: string;
  passed: boolean;
}

/** What running a program said: its output, or why it did not answer. */
export type ProbeResult =
  | { kind: 'ran'; code: number; stdout: string; stderr: string }
  | { kind: 'missing' }
  | { kind: 'timeout'; ms: number }
  | { kind: 'error'; message: string };

export function check(name: string, level: CheckLevel, message: string): DoctorCheck {
  return { check: name, level, message, passed: level !== 'fail' };
}

const firstLine = (s: string): string => s.trim().split('\n')[0]?.trim() ?? '';

function notAnswered(p: Exclude<ProbeResult, { kind: 'ran' }>, bin: string): string {
  if (p.kind === 'missing') return `${bin} not found`;
  if (p.kind === 'timeout') return `${bin} did not answer within ${p.ms / 1000} s`;
  return `${bin} could not run (${p.message})`;
}

export const TART_FIX = 'Install Tart (brew install cirruslabs/cli/tart), or point tk at a tart binary with TK_TART or the tart_path config key.';

/** tart: `--version` answers. `source` says where the binary came from (TK_TART, tart_path, PATH). */
export function tartCheck(p: ProbeResult, bin: string, source: string): DoctorCheck {
  if (p.kind !== 'ran') return check('tart', 'fail', `${notAnswered(p, bin)} (from ${source}). ${TART_FIX}`);
  if (p.code !== 0) return check('tart', 'fail', `${bin} --version failed with exit code ${p.code}${firstLine(p.stderr) ? `: ${firstLine(p.stderr)}` : ''} (from ${source}). ${TART_FIX}`);
  return check('tart', 'ok', `Found: ${firstLine(p.stdout) || '(no version printed)'} (${bin}, from ${source})`);
}

export interface ToolSpec {
  name: string;
  /** 'fail' for tools tk cannot work without, 'warn' for optional ones. */
  missing: CheckLevel;
  /** What to do when it is missing. */
  fix: string;
  /** Where the version is printed: `ssh -V` writes to stderr. */
  versionOn?: 'stdout' | 'stderr';
  /** Says what the tool is needed for when it is optional. */
  neededFor?: string;
}

export const TOOLS: readonly ToolSpec[] = [
  { name: 'git', missing: 'fail', fix: 'Install git (xcode-select --install, or brew install git).' },
  { name: 'ssh', missing: 'fail', fix: 'Install the OpenSSH client.', versionOn: 'stderr' },
  { name: 'ssh-keygen', missing: 'fail', fix: 'Install the OpenSSH client (it provides ssh-keygen).' },
  { name: 'gh', missing: 'warn', fix: 'Install the GitHub CLI (brew install gh) and run gh auth login.', neededFor: 'tk pr' },
];

/** A tool on PATH: its version line, or the fix. ssh-keygen has no version flag: it only has to run. */
export function toolCheck(spec: ToolSpec, p: ProbeResult): DoctorCheck {
  if (p.kind !== 'ran') {
    return check(spec.name, spec.missing, `${notAnswered(p, spec.name)}${spec.neededFor ? ` (only needed for ${spec.neededFor})` : ''}. ${spec.fix}`);
  }
  const out = spec.versionOn === 'stderr' ? p.stderr : p.stdout;
  if (spec.name === 'ssh-keygen') return check(spec.name, 'ok', 'Found');
  if (p.code !== 0 && !firstLine(out)) {
    return check(spec.name, spec.missing, `${spec.name} failed with exit code ${p.code}${firstLine(p.stderr) ? `: ${firstLine(p.stderr)}` : ''}. ${spec.fix}`);
  }
  return check(spec.name, 'ok', `Found: ${firstLine(out) || firstLine(p.stdout + p.stderr) || '(no version printed)'}`);
}

export type TrustState = 'trusted' | 'untrusted' | 'changed' | 'no-files';

export interface ConfigProbe {
  ok: boolean;
  /** The load error (when !ok). */
  error?: string;
  files?: readonly string[];
  warnings?: readonly string[];
  /** Repository config trust, when in a repository. */
  trust?: TrustState | null;
}

export function configCheck(c: ConfigProbe): DoctorCheck {
  if (!c.ok) return check('config', 'fail', `${c.error ?? 'cannot be loaded'}. Fix the file named above, then run tk doctor again.`);
  const files = c.files && c.files.length ? `read ${c.files.join(', ')}` : 'defaults only (no config file)';
  const trust =
    c.trust === 'trusted'
      ? '; repository config trusted'
      : c.trust === 'untrusted'
        ? '; repository config not trusted (only repository-safe keys apply; tk config trust to apply all)'
        : c.trust === 'changed'
          ? '; repository config changed since trusted (review it, then tk config trust)'
          : '';
  const warns = c.warnings ?? [];
  if (warns.length) return check('config', 'warn', `${files}${trust}; ${warns.length} warning(s): ${warns.join(' | ')}`);
  return check('config', 'ok', `${files}${trust}`);
}

export type DirProbe = { kind: 'writable' } | { kind: 'creatable'; ancestor: string } | { kind: 'not-writable'; path: string } | { kind: 'not-dir'; path: string };

export function homeCheck(home: string, d: DirProbe): DoctorCheck {
  switch (d.kind) {
    case 'writable':
      return check('home', 'ok', `${home} is writable`);
    case 'creatable':
      return check('home', 'ok', `${home} does not exist yet; tk creates it (${d.ancestor} is writable)`);
    case 'not-writable':
      return check('home', 'fail', `${d.path} is not writable. Fix its permissions, or set TK_HOME to a writable directory.`);
    case 'not-dir':
      return check('home', 'fail', `${d.path} is not a directory. Move it away, or set TK_HOME to another directory.`);
  }
}

export type StateProbe = { kind: 'absent' } | { kind: 'ok'; vms: number } | { kind: 'unreadable'; error: string } | { kind: 'corrupt'; error: string; hint?: string };

export function stateCheck(file: string, s: StateProbe): DoctorCheck {
  switch (s.kind) {
    case 'absent':
      return check('state', 'ok', `${file} does not exist yet (no VMs)`);
    case 'ok':
      return check('state', 'ok', `${file}: ${s.vms} VM(s)`);
    case 'unreadable':
      return check('state', 'fail', `Cannot read ${file}: ${s.error}. Fix its permissions.`);
    case 'corrupt':
      return check('state', 'fail', `${s.error.replace(/\.$/, '')}. ${s.hint ?? `Repair ${file} by hand, or move it away to start with an empty state (tk never resets it on its own).`}`);
  }
}

export type ProxyProbe =
  | { kind: 'disabled' }
  | { kind: 'tk'; pid: number; sameHome: boolean }
  | { kind: 'free' }
  | { kind: 'foreign' }
  /** Not probed over the network (the bind address is not loopback): what the PID file says. */
  | { kind: 'not-probed'; pidFile: 'running' | 'stale' | 'absent' | 'invalid'; pid?: number };

export function proxyCheck(bind: string, port: number, p: ProxyProbe): DoctorCheck {
  const at = `${bind.includes(':') ? `[${bind}]` : bind}:${port}`;
  switch (p.kind) {
    case 'disabled':
      return check('proxy', 'ok', 'credential proxy disabled (credential_proxy = false)');
    case 'tk':
      return p.sameHome
        ? check('proxy', 'ok', `tk's credential proxy is running at ${at} (PID ${p.pid})`)
        : check('proxy', 'fail', `The tk credential proxy at ${at} (PID ${p.pid}) belongs to another TK_HOME, so it would reject this home's VMs. Stop it with tk proxy stop under its TK_HOME, or set another credential_proxy_port.`);
    case 'free':
      return check('proxy', 'ok', `${at} is free (the proxy starts with the first VM)`);
    case 'foreign':
      return check('proxy', 'fail', `Something that is not tk's credential proxy listens on ${at}. Stop it, or set another credential_proxy_port.`);
    case 'not-probed': {
      const pid = p.pidFile === 'running' ? `tk's proxy is running (PID ${p.pid ?? '?'})` : 'tk\'s proxy is not running';
      return check('proxy', 'ok', `${pid}; ${at} not probed (doctor only connects to loopback addresses)`);
    }
  }
}

/** A remote (OCI) image name has a registry part: `host/ns/name[:tag]`; anything else is a local VM. */
export function isRemoteImage(name: string): boolean {
  return name.includes('/');
}

export type ListProbe = { kind: 'ok'; names: readonly string[] } | { kind: 'skipped'; reason: string } | { kind: 'error'; message: string };

export function baseImageCheck(image: string, l: ListProbe): DoctorCheck {
  if (l.kind === 'skipped') return check('base-image', 'warn', `${image}: not checked (${l.reason})`);
  if (l.kind === 'error') return check('base-image', 'warn', `${image}: tart list failed (${l.message}). Check that tart list works.`);
  if (l.names.includes(image)) return check('base-image', 'ok', `${image} is present`);
  if (isRemoteImage(image)) {
    return check('base-image', 'warn', `${image} is not pulled yet: the first spawn downloads it. To fetch it now: tart pull ${image}`);
  }
  return check('base-image', 'warn', `${image} is not a Tart VM on this machine, so spawn will fail. Create it (tart clone ghcr.io/cirruslabs/ubuntu:latest ${image}), or set base_image to an image that exists (tk config).`);
}

export function doctorExitCode(checks: readonly DoctorCheck[]): number {
  return checks.some((c) => c.level === 'fail') ? 1 : 0;
}

export function doctorSummary(checks: readonly DoctorCheck[]): string {
  const fails = checks.filter((c) => c.level === 'fail').length;
  const warns = checks.filter((c) => c.level === 'warn').length;
  if (fails) return `${fails} check(s) failed${warns ? `, ${warns} warning(s)` : ''}`;
  return warns ? `All checks passed, ${warns} warning(s)` : 'All checks passed';
}

const TAG: Record<CheckLevel, string> = { ok: '[ok]', warn: '[warn]', fail: '[FAIL]' };

/** tachikoma's `[ok] name: message` lines (plus `[warn]`), then a summary line. */
export function renderDoctor(checks: readonly DoctorCheck[]): string {
  return checks.map((c) => `${TAG[c.level]} ${c.check}: ${c.message}`).join('\n') + `\n${doctorSummary(checks)}\n`;
}

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x: the only addresses doctor connects to. */
export function isLoopback(ip: string): boolean {
  const v4 = ip.toLowerCase().startsWith('::ffff:') ? ip.slice(7) : ip;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) return true;
  return /^(0{0,4}:){2,7}0{0,3}1$/i.test(ip) || ip === '::1';
}
