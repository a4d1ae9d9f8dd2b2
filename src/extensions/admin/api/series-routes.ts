import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AdminContext } from '../context.js';
import { seriesView } from '../sampler.js';
import { API_PREFIX, commonErrors, json } from './schemas.js';

const Series = z
  .object({
    stepSeconds: z.number(),
    windowSeconds: z.number(),
    series: z.array(
      z.object({
        name: z.string().openapi({ example: 'exporter/otlphttp/sent_records_per_second' }),
        kind: z.enum(['exporter', 'pipeline']),
        id: z.string(),
        metric: z.enum(['sent_records_per_second', 'queue_size', 'accepted_records_per_second']),
        points: z.array(z.object({ t: z.number().openapi({ description: 'Epoch milliseconds.' }), v: z.number() })),
      }),
    ),
  })
  .openapi('Series');

const series = createRoute({
  method: 'get',
  path: `${API_PREFIX}/series`,
  summary: 'Rolling metrics for charts: per exporter sent records/s and queue depth, per pipeline accepted records/s (15 min at 5 s)',
  responses: { 200: json(Series, 'Every series.'), ...commonErrors },
});

export function mountSeriesRoutes(app: OpenAPIHono, ctx: AdminContext): void {
  app.openapi(series, (c) => c.json(seriesView(ctx.series), 200));
}
