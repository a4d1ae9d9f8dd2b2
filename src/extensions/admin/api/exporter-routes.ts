import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AdminContext } from '../context.js';
import { exporterQueueView } from '../views.js';
import { API_PREFIX, commonErrors, Counts, IdParam, json, notFound } from './schemas.js';

const ExporterQueue = z
  .object({
    exporter: z.string(),
    ...Counts,
    queue: z.object({
      enabled: z.boolean(),
      persistent: z.boolean(),
      size: z.number().openapi({ description: 'Stored requests, in the unit of sending_queue.sizer.' }),
      capacity: z.number(),
      oldestQueuedAgeSeconds: z.number().nullable(),
      deadLetters: z.number().openapi({ description: 'Requests in the dead-letter store.' }),
    }),
    retry: z.object({ failing: z.boolean(), failingSince: z.string().nullable(), failedAttempts: z.number() }),
    lastError: z.object({ message: z.string(), at: z.string() }).nullable().openapi({ description: 'The last failed send (kept after recovery), secrets scrubbed.' }),
  })
  .openapi('ExporterQueue');

const queue = createRoute({
  method: 'get',
  path: `${API_PREFIX}/exporters/{id}/queue`,
  summary: "An exporter's counts, queue, retry state and last error",
  request: { params: IdParam },
  responses: { 200: json(ExporterQueue, 'The exporter.'), ...commonErrors, ...notFound },
});

export function mountExporterRoutes(app: OpenAPIHono, ctx: AdminContext): void {
  app.openapi(queue, async (c) => c.json(await exporterQueueView(ctx, c.req.valid('param').id), 200));
}
