// Lazy entry points of other parts of tk (contracts.md). Loaded through template-literal imports,
// which esbuild bundles as on-demand chunks (and vitest resolves from source), so that a command
// loads only what it runs and this file builds before the other parts are merged.
import type { Config } from '../core/config.js';
import { TkError } from '../core/errors.js';
import type { TkService } from '../core/service.js';

export interface CreatedService {
  service: TkService;
  config: Config;
  warnings: string[];
}
export type CreateService = (opts: { cwd: string; env?: NodeJS.ProcessEnv; log?: (line: string) => void }) => Promise<CreatedService>;
export type RunDashboard = (service: TkService, opts: { cwd: string; config: unknown }) => Promise<number>;
export type DashboardConfigFrom = (raw: unknown) => unknown;
export type RunMcpServer = (
  service: TkService,
  opts: { version: string; cwd: string; stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream },
) => Promise<number>;

async function load<T>(what: string, importer: () => Promise<unknown>, exportName: string): Promise<T> {
  let mod: Record<string, unknown>;
  try {
    mod = (await importer()) as Record<string, unknown>;
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/not found in bundle|Cannot find module|Failed to load url|Unknown variable dynamic import/i.test(msg)) {
      throw new TkError('io', `This build of tk does not include ${what}.`, { hint: 'Rebuild tk (npm run build) from a complete checkout.', cause: e });
    }
    throw e;
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function') throw new TkError('io', `This build of tk has an incompatible ${what} (no ${exportName}).`);
  return fn as T;
}

// The directory part is a variable so that only these exact file names are globbed (never src/sim).
const AREA = { adapters: 'adapters', tui: 'tui', mcp: 'mcp' } as const;
const dir = {
  wiring: (a: string) => import(`../${a}/wiring.ts`),
  runDashboard: (a: string) => import(`../${a}/run-dashboard.ts`),
  tuiConfig: (a: string) => import(`../${a}/config.ts`),
  mcpServer: (a: string) => import(`../${a}/server.ts`),
  commands: (n: string) => import(`./commands/${n}.ts`),
};

export const loadCreateService = () => load<CreateService>('the VM engine (src/adapters/wiring.ts)', () => dir.wiring(AREA.adapters), 'createService');
export const loadRunDashboard = () => load<RunDashboard>('the dashboard (src/tui/run-dashboard.ts)', () => dir.runDashboard(AREA.tui), 'runDashboard');
export const loadDashboardConfigFrom = () => load<DashboardConfigFrom>('the dashboard config (src/tui/config.ts)', () => dir.tuiConfig(AREA.tui), 'dashboardConfigFrom');
export const loadRunMcpServer = () => load<RunMcpServer>('the MCP server (src/mcp/server.ts)', () => dir.mcpServer(AREA.mcp), 'runMcpServer');

/** A command module (default export), by file name. */
export async function loadCommandModule(file: string): Promise<unknown> {
  try {
    return ((await dir.commands(file)) as { default: unknown }).default;
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/not found in bundle|Cannot find module|Failed to load url|Unknown variable dynamic import/i.test(msg)) {
      throw new TkError('io', `This build of tk does not include the ${file} command.`, { hint: 'Rebuild tk (npm run build) from a complete checkout.', cause: e });
    }
    throw e;
  }
}
