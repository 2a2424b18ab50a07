import { defineCommand } from '../command.js';
import { loadRunMcpServer } from '../entries.js';

export default defineCommand({
  name: 'mcp',
  summary: 'Run the MCP server on stdio (for Claude Code and other MCP clients)',
  usage: 'mcp',
  ownsStdout: true,
  description: 'Speaks JSON-RPC on stdin/stdout; logs go to stderr. Register it with: claude mcp add tk -- tk mcp',
  examples: ['claude mcp add tk -- tk mcp'],
  async run(ctx) {
    const [runMcpServer, { service }] = await Promise.all([loadRunMcpServer(), ctx.service()]);
    return runMcpServer(service, { version: ctx.version, cwd: ctx.cwd, stdin: ctx.io.stdin, stdout: ctx.io.stdout, stderr: ctx.io.stderr });
  },
});
