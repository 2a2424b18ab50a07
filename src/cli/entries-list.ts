// entries.ts for the one-file `tk list` build (dist/tk/tk.js, see src/cli/tk.ts): the list command,
// statically. src/cli/tk.ts sends every other command to the code-split build, so the other loaders
// are never called here; they fail loudly rather than load another build's code.
import { TkError } from '../core/errors.js';
import list from './commands/list.js';
import type { CreateService, DashboardConfigFrom, RunDashboard, RunMcpServer } from './entries.js';

function notInThisBuild(what: string): never {
  throw new TkError('io', `The one-file list build of tk does not include ${what}.`, { hint: 'Run tk through bin/tk or dist/tk/tk.js (they load the full build for other commands).' });
}

export const loadCreateService = (): Promise<CreateService> => notInThisBuild('the VM engine');
export const loadRunDashboard = (): Promise<RunDashboard> => notInThisBuild('the dashboard');
export const loadDashboardConfigFrom = (): Promise<DashboardConfigFrom> => notInThisBuild('the dashboard config');
export const loadRunMcpServer = (): Promise<RunMcpServer> => notInThisBuild('the MCP server');

export async function loadCommandModule(file: string): Promise<unknown> {
  if (file === 'list') return list;
  return notInThisBuild(`the ${file} command`);
}
