// createService (contracts.md): the real adapters behind TkService.
import { createApp } from '../core/app.js';
import type { Config } from '../core/config.js';
import type { TkService } from '../core/service.js';
import type { CredentialProxyControl } from '../ports/credential-proxy.js';
import { systemClock } from './clock.js';
import { loadConfig, proxyConfigFrom } from './config-loader.js';
import { GitCli } from './git.js';
import { createHostFiles } from './host-files.js';
import { createSsh } from './ssh.js';
import { openStateStore } from './state-store.js';
import { createTart } from './tart.js';

/** The proxy control loads on first use (spawn, destroy), not for exec, halt or list. */
function lazyProxy(load: () => Promise<CredentialProxyControl>): CredentialProxyControl {
  let p: Promise<CredentialProxyControl> | null = null;
  const get = () => (p ??= load());
  return {
    guestCredentials: async (vm) => (await get()).guestCredentials(vm),
    revoke: async (vm) => (await get()).revoke(vm),
  };
}

export async function createService(opts: { cwd: string; env?: NodeJS.ProcessEnv; log?: (line: string) => void }): Promise<{ service: TkService; config: Config; warnings: string[] }> {
  const env = opts.env ?? process.env;
  const loaded = await loadConfig({ cwd: opts.cwd, env });
  const config = loaded.config;
  const paths = loaded.paths;
  const git = new GitCli({ env });
  const service = createApp({
    config,
    tart: createTart({ tartPath: loaded.tartPath, env }),
    ssh: createSsh(),
    git,
    pr: git,
    store: openStateStore({ paths, tachikomaDir: null }),
    host: createHostFiles(paths, env),
    clock: systemClock,
    proxy: lazyProxy(() => import('../proxy/control.js').then(({ createProxyControl }) => createProxyControl(proxyConfigFrom(config), { home: paths.home }, { env, ...(opts.log ? { log: opts.log } : {}) }))),
    ...(env['TERM'] ? { term: env['TERM'] } : {}),
  });
  return { service, config, warnings: loaded.warnings };
}
