import type { OpenAPIHono } from '@hono/zod-openapi';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { openGatewayExportService, type GatewayExportService } from '../../../mcp/gateway-export-service.js';
import { registerTools } from '../../../mcp/tools.js';
import type { AdminContext } from '../context.js';
import { API_PREFIX } from './schemas.js';

/**
 * The MCP server over the Streamable HTTP transport, stateless: every request gets its own server
 * and transport (no session to keep, so any replica can answer), with the same tools as
 * `make-otel-gateway mcp` (src/mcp/tools.ts). Behind the admin auth like every API route. Served at
 * `/api/v1/mcp` and, as the issue names it, `/mcp`.
 */
export const MCP_PATHS = [`${API_PREFIX}/mcp`, '/mcp'] as const;

export function mountMcp(app: OpenAPIHono, ctx: AdminContext): void {
  let exports: GatewayExportService | undefined;
  // Opened at the first tool call (a gateway without a make receiver still lists its tools).
  const service = () => (exports ??= openGatewayExportService(ctx.gateway, { id: 'admin/mcp', telemetry: ctx.telemetry, logger: ctx.logger })).service;
  ctx.onShutdown(() => exports?.close());
  for (const path of MCP_PATHS) {
    app.all(path, async (c) => {
      const server = new McpServer({ name: 'make-otel-gateway', version: ctx.version });
      registerTools(server, service);
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await server.connect(transport);
      try {
        return await transport.handleRequest(c.req.raw);
      } finally {
        // JSON responses are complete when handleRequest resolves: nothing more goes through them.
        void server.close();
      }
    });
  }
}
