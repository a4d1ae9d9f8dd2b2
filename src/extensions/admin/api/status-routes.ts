import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AdminContext } from '../context.js';
import { pipelineStats, statusView } from '../views.js';
import { API_PREFIX, commonErrors, Component, IdParam, json, notFound } from './schemas.js';

const Pipeline = z.object({ id: z.string(), receivers: z.array(Component), processors: z.array(Component), exporters: z.array(Component) });

const Status = z
  .object({
    version: z.string(),
    uptimeSeconds: z.number(),
    startedAt: z.string(),
    configHash: z.string().openapi({ description: 'sha256 of the resolved configuration: changes when the config does.' }),
    state: z.enum(['starting', 'ready', 'stopping', 'stopped']),
    pipelines: z.array(Pipeline),
    extensions: z.array(Component),
  })
  .openapi('Status');

const status = createRoute({
  method: 'get',
  path: `${API_PREFIX}/status`,
  summary: 'Version, uptime, config hash, pipelines with their components and states',
  responses: { 200: json(Status, 'The gateway.'), ...commonErrors },
});

const PipelineStats = z
  .object({
    pipeline: z.string(),
    accepted: z.number(),
    refused: z.number(),
    receivers: z.array(Component.extend({ accepted: z.number(), refused: z.number() })),
    processors: z.array(Component.extend({ incoming: z.number(), outgoing: z.number() })),
    exporters: z.array(Component.extend({ accepted: z.number(), refused: z.number(), sent: z.number(), failed: z.number(), queueSize: z.number() })),
  })
  .openapi('PipelineStats');

const stats = createRoute({
  method: 'get',
  path: `${API_PREFIX}/pipelines/{id}/stats`,
  summary: "A pipeline's record counts, per component (since start)",
  request: { params: IdParam },
  responses: { 200: json(PipelineStats, 'Counts.'), ...commonErrors, ...notFound },
});

export function mountStatusRoutes(app: OpenAPIHono, ctx: AdminContext): void {
  app.openapi(status, (c) => c.json(statusView(ctx), 200));
  app.openapi(stats, async (c) => c.json(await pipelineStats(ctx, c.req.valid('param').id), 200));
}
