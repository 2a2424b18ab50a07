// Standalone daemon entry, bundled as dist/proxy/tk-proxy.js so the proxy can be started
// (detached) without the tk CLI: node tk-proxy.js --home H --bind B --port P
// The config comes in TK_PROXY_CONFIG (JSON of ProxyConfig; commands, never secrets).
import { TkError, formatError, toTkError } from '../core/errors.js';
import { resolveProxyConfig, type ProxyConfig } from './config.js';
import { startDaemon } from './daemon.js';
import { defaultTkHome } from './paths.js';

async function main(argv: string[]): Promise<number> {
  const opts: { home?: string; bind?: string; port?: number } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if ((a === '--home' || a === '--bind' || a === '--port') && v !== undefined) {
      if (a === '--home') opts.home = v;
      else if (a === '--bind') opts.bind = v;
      else opts.port = Number(v);
      i++;
    } else {
      throw new TkError('usage', `tk-proxy: unexpected argument ${JSON.stringify(a)}`, { hint: 'Usage: tk-proxy [--home DIR] [--bind IP] [--port N]' });
    }
  }
  let partial: Partial<ProxyConfig> = {};
  const raw = process.env['TK_PROXY_CONFIG'];
  if (raw) {
    try {
      partial = JSON.parse(raw) as Partial<ProxyConfig>;
    } catch {
      throw new TkError('config', 'tk-proxy: TK_PROXY_CONFIG is not valid JSON.');
    }
  }
  const config = resolveProxyConfig(partial);
  // No echo: when detached, stderr is the proxy log file itself; only fatal start errors go there.
  const d = await startDaemon({ config, home: opts.home ?? defaultTkHome(), bind: opts.bind, port: opts.port });
  await d.done;
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = toTkError(e);
    process.stderr.write(`${new Date().toISOString()} error: ${formatError(err)}\n`);
    process.exit(err.exitCode);
  },
);
