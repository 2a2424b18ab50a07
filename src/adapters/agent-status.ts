// Reads the agent status file a VM's Claude Code hooks write (contracts.md "Agent state from the
// guest"). The guest is hostile: the file is read without following symlinks, at most 4 KiB,
// strict JSON, and anything unexpected is ignored.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type AgentState = 'working' | 'waiting' | 'idle';
export interface AgentStatus {
  state: AgentState;
  at: string;
}

export const AGENT_STATUS_MAX_BYTES = 4096;

export function parseAgentStatus(text: string): AgentStatus | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const state = o['state'];
  const at = o['at'];
  if (state !== 'working' && state !== 'waiting' && state !== 'idle') return null;
  if (typeof at !== 'string' || at.length > 64 || Number.isNaN(Date.parse(at))) return null;
  return { state, at };
}

/** null when missing, unreadable, too big, a symlink, not a regular file, or malformed. */
export async function readAgentStatus(path: string): Promise<AgentStatus | null> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > AGENT_STATUS_MAX_BYTES) return null;
    const buf = Buffer.alloc(AGENT_STATUS_MAX_BYTES + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead > AGENT_STATUS_MAX_BYTES) return null;
    return parseAgentStatus(buf.subarray(0, bytesRead).toString('utf8'));
  } catch {
    return null;
  } finally {
    await fh.close().catch(() => {});
  }
}

/**
 * `<home>/vms/<vm>/status/agent.json`, derived from the log path `<home>/logs/<vm>.log`
 * (both are fixed by contracts.md "Paths") for services that do not expose agentStatusPath.
 */
export function agentStatusPathFromLogPath(logPath: string, vm: string): string {
  const home = dirname(dirname(logPath));
  return join(home, 'vms', vm, 'status', 'agent.json');
}
