import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { HttpError } from '../../../net/http-error.js';
import type { DeadLetterSelection } from '../../../queue/queue.js';
import type { AdminContext } from '../context.js';
import { DEAD_LETTER_PAGE_DEFAULT, DEAD_LETTER_PAGE_MAX, deleteDeadLetters, listDeadLetters, replayDeadLetters } from '../dead-letters.js';
import { API_PREFIX, commonErrors, conflict, DeadLetterSelectionBody, IdParam, json, MovedCounts, notFound } from './schemas.js';

const DeadLetter = z
  .object({
    id: z.number(),
    reason: z.string(),
    records: z.number(),
    bytes: z.number(),
    attempts: z.number(),
    enqueuedAt: z.string(),
    time: z.string().openapi({ description: 'When it was dead-lettered.' }),
    preview: z.string().nullable().openapi({ description: "The first record's body, at most 200 characters." }),
  })
  .openapi('DeadLetter');

const DeadLetterPage = z
  .object({ exporter: z.string(), total: z.number(), deadLetters: z.array(DeadLetter), nextCursor: z.number().nullable() })
  .openapi('DeadLetterPage');

const list = createRoute({
  method: 'get',
  path: `${API_PREFIX}/exporters/{id}/dead-letters`,
  summary: "A page of an exporter's dead letters, oldest first",
  request: {
    params: IdParam,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(DEAD_LETTER_PAGE_MAX).default(DEAD_LETTER_PAGE_DEFAULT),
      cursor: z.coerce.number().int().min(0).optional().openapi({ description: 'nextCursor of the previous page.' }),
    }),
  },
  responses: { 200: json(DeadLetterPage, 'The page.'), ...commonErrors, ...notFound, ...conflict },
});

const replay = createRoute({
  method: 'post',
  path: `${API_PREFIX}/exporters/{id}/dead-letters/replay`,
  summary: 'Requeue dead letters on the running gateway: they are sent without a restart',
  request: { params: IdParam, body: { content: { 'application/json': { schema: DeadLetterSelectionBody } }, required: true } },
  responses: { 200: json(z.object({ exporter: z.string(), replayed: MovedCounts }).openapi('Replayed'), 'What was requeued.'), ...commonErrors, ...notFound, ...conflict },
});

const purge = createRoute({
  method: 'delete',
  path: `${API_PREFIX}/exporters/{id}/dead-letters`,
  summary: 'Delete dead letters for good: `?ids=1,2` or `?all=true` (nothing else is accepted)',
  request: {
    params: IdParam,
    query: z.object({
      ids: z.string().regex(/^\d+(,\d+)*$/, 'expected comma-separated ids like 1,2').optional(),
      all: z.enum(['true']).optional(),
    }),
  },
  responses: { 200: json(z.object({ exporter: z.string(), deleted: MovedCounts }).openapi('Deleted'), 'What was deleted.'), ...commonErrors, ...notFound, ...conflict },
});

/** `?ids=` or `?all=true`, exactly one: a bare DELETE never wipes a store. */
function deleteSelection(q: { ids?: string; all?: 'true' }): DeadLetterSelection {
  if (q.ids !== undefined && q.all !== undefined) throw new HttpError(400, 'give either ids or all=true, not both');
  if (q.all === 'true') return { all: true };
  if (q.ids !== undefined) return { ids: q.ids.split(',').map(Number) };
  throw new HttpError(400, 'refusing to delete without a selection: add ?ids=1,2 or ?all=true');
}

export function mountDeadLetterRoutes(app: OpenAPIHono, ctx: AdminContext): void {
  app.openapi(list, async (c) => {
    const { id } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    return c.json(await listDeadLetters(ctx, id, limit, cursor), 200);
  });
  app.openapi(replay, async (c) => c.json(await replayDeadLetters(ctx, c.req.valid('param').id, c.req.valid('json')), 200));
  app.openapi(purge, async (c) => c.json(await deleteDeadLetters(ctx, c.req.valid('param').id, deleteSelection(c.req.valid('query'))), 200));
}
