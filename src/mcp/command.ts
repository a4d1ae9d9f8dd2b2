import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { resolveReceiverId } from '../export/make-source.js';
import { exportsStorage, openStandaloneRuntime } from '../export/runtime.js';
import { ExportService } from '../export/service.js';
import { loadConfig } from '../gateway.js';
import { redact } from '../telemetry/secrets.js';
import { registerTools } from './tools.js';

/**
 * `make-otel-gateway mcp --config FILE [--receiver ID]`: the export tools over MCP stdio. stdout
 * is the protocol channel, so everything else goes to stderr. Ends when the client closes stdin.
 */
export async function mcpCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string', multiple: true, short: 'c' }, receiver: { type: 'string' } } }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nusage: make-otel-gateway mcp --config FILE [--receiver ID]\n`);
    return 2;
  }
  if (!values.config?.length) {
    process.stderr.write('missing --config FILE\nusage: make-otel-gateway mcp --config FILE [--receiver ID]\n');
    return 2;
  }
  try {
    const config = loadConfig(values.config);
    const receiver = resolveReceiverId(config, values.receiver);
    const runtime = openStandaloneRuntime(config);
    const service = new ExportService({
      engine: runtime.engine,
      receiver,
      defaultDirectory: join(exportsStorage(config, runtime).directory, 'exports'),
      source: runtime.source,
    });
    const server = new McpServer({ name: 'make-otel-gateway', version: '0.1.0' });
    registerTools(server, service);
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
      process.stdin.once('end', () => resolve());
    });
    await server.connect(transport);
    await closed;
    await service.close();
    await runtime.close();
    return 0;
  } catch (err) {
    process.stderr.write(redact(`error: ${(err as Error).message}`) + '\n');
    return 1;
  }
}
