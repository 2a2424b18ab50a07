import type { LoadedConfig } from '../../adapters/config-loader.js';
import {
  baseImageCheck,
  check,
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
  type DoctorCheck,
  type ListProbe,
} from '../../core/doctor.js';
import { defineCommand } from '../command.js';

const VERSION_TIMEOUT_MS = 3000;
const LIST_TIMEOUT_MS = 5000;
const PROXY_TIMEOUT_MS = 1000;

export default defineCommand({
  name: 'doctor',
  summary: 'Check tart, git, ssh, gh, the config, the state file and the proxy port',
  usage: 'doctor',
  description:
    'Runs every check at once, each with a short timeout, and changes nothing. Each line is\n' +
    '[ok], [warn] (tk works, but something needs attention) or [FAIL] (with what to do).\n' +
    'Exit code 1 when any check fails, else 0. The proxy port is only probed on a loopback bind.',
  examples: ['tk doctor', 'tk doctor --json | jq ".data[] | select(.level != \\"ok\\")"'],
  async run(ctx) {
    const [{ loadConfig }, probes, { tkPaths }, { tartList }] = await Promise.all([
      import('../../adapters/config-loader.js'),
      import('../../adapters/doctor-probes.js'),
      import('../../adapters/paths.js'),
      import('../../adapters/tart-list.js'),
    ]);
    const env = ctx.env;
    // noImport: doctor never writes, so the one-time import of tachikoma's files waits for a real command.
    let cfg: LoadedConfig | null = null;
    let cfgError = '';
    try {
      cfg = await loadConfig({ cwd: ctx.cwd, env, noImport: true });
    } catch (e) {
      cfgError = (e as Error).message;
    }
    const tartPath = cfg?.tartPath ?? (env['TK_TART'] || 'tart');
    const tartSource = env['TK_TART'] ? 'TK_TART' : cfg?.config.tart_path ? 'the tart_path config key' : 'PATH';
    let paths: ReturnType<typeof tkPaths> | null = cfg?.paths ?? null;
    let pathsError = '';
    if (!paths) {
      try {
        paths = tkPaths(env);
      } catch (e) {
        pathsError = (e as Error).message;
      }
    }

    const tartVersion = probes.runProbe(tartPath, ['--version'], { env, timeoutMs: VERSION_TIMEOUT_MS });
    const listed: Promise<ListProbe> = cfg
      ? tartList(tartPath, { env, signal: AbortSignal.timeout(LIST_TIMEOUT_MS) }).then(
          (vms): ListProbe => ({ kind: 'ok', names: vms.map((v) => v.name) }),
          (e: unknown): ListProbe => ({ kind: 'error', message: (e as Error).name === 'AbortError' ? `no answer within ${LIST_TIMEOUT_MS / 1000} s` : (e as Error).message }),
        )
      : Promise.resolve({ kind: 'skipped', reason: 'the config did not load' });
    const tools = TOOLS.map((t) => probes.runProbe(t.name, t.name === 'ssh' ? ['-V'] : t.name === 'ssh-keygen' ? ['-?'] : ['--version'], { env, timeoutMs: VERSION_TIMEOUT_MS }));
    const proxy = ((): Promise<DoctorCheck> => {
      if (!cfg || !paths) return Promise.resolve(check('proxy', 'warn', 'not checked (the config did not load)'));
      const c = cfg.config;
      const { credential_proxy_bind: bind, credential_proxy_port: port } = c;
      if (!c.credential_proxy) return Promise.resolve(proxyCheck(bind, port, { kind: 'disabled' }));
      const home = paths.home;
      return import('../../proxy/lifecycle.js').then(async ({ proxyPortStatus }) => {
        if (isLoopback(bind)) return proxyCheck(bind, port, await proxyPortStatus(bind, port, home, PROXY_TIMEOUT_MS));
        const { readPidFile } = await import('../../proxy/pidfile.js');
        const s = readPidFile(home);
        return proxyCheck(bind, port, { kind: 'not-probed', pidFile: s.state, ...(s.state === 'running' ? { pid: s.info.pid } : {}) });
      });
    })();

    const checks: DoctorCheck[] = [tartCheck(await tartVersion, tartPath, tartSource)];
    const toolResults = await Promise.all(tools);
    TOOLS.forEach((t, i) => checks.push(toolCheck(t, toolResults[i]!)));
    checks.push(
      cfg
        ? configCheck({ ok: true, files: cfg.files, warnings: cfg.warnings, trust: cfg.trust })
        : configCheck({ ok: false, error: cfgError }),
    );
    if (paths) {
      checks.push(homeCheck(paths.home, probes.probeDir(paths.home)));
      checks.push(stateCheck(paths.stateFile, probes.probeState(paths.stateFile)));
    } else {
      checks.push(check('home', 'fail', `${pathsError} Set TK_HOME to a writable directory.`));
    }
    checks.push(await proxy);
    const tartRuns = checks[0]?.level !== 'fail';
    checks.push(baseImageCheck(cfg?.config.base_image ?? '(unknown)', tartRuns ? await listed : { kind: 'skipped', reason: 'tart does not run' }));

    const code = doctorExitCode(checks);
    if (ctx.json) ctx.out.document({ data: checks, message: doctorSummary(checks), success: code === 0 });
    else ctx.out.text(renderDoctor(checks));
    return code;
  },
});
