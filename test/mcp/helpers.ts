// Shared set-up for the MCP tests: a fake service in a temp dir and an SDK Client connected to our
// server through the SDK's in-memory transport.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { FakeService, type FakeServiceOptions } from '../fakes/fake-service-mcp.js';

export interface Harness {
  client: Client;
  service: FakeService;
  root: string;
  cwd: string;
  /** Calls a tool and returns the result (tool errors included) typed as a CallToolResult. */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export async function connect(opts: Partial<FakeServiceOptions> = {}): Promise<Harness> {
  const root = mkdtempSync(join(tmpdir(), 'tk-mcp-'));
  const cwd = join(root, 'repos', 'demo');
  const service = new FakeService({ root, ...opts });
  const server = createMcpServer(service, { version: '9.9.9-test', cwd });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'tk-mcp-test', version: '0.0.0' });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return {
    client,
    service,
    root,
    cwd,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    close: async () => {
      await client.close();
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function text(r: CallToolResult): string {
  return r.content
    .filter((c): c is { type: 'text'; text: string } => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}
