import type { ServerResponse } from 'node:http';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { TailRequestError, type TailHub } from '../../tail/hub.js';
import type { TailSubscriber } from '../../tail/subscriber.js';
import { formatEvent, formatReady, TAIL_CONTENT_TYPES, type TailFormat } from '../../tail/wire-format.js';
import { API_PREFIX, commonErrors, notFound } from './api/schemas.js';

/**
 * A cut-off client that stopped reading altogether still holds its socket; it gets this long to
 * read the `end` event (the reason) before the connection is closed under it. The pipeline never
 * waits for it either way: the subscriber left the tap at the moment it was cut off.
 */
export const CUT_OFF_CLOSE_GRACE_MS = 10_000;

const encoder = new TextEncoder();

const TailQuery = z.object({
  pipeline: z.string().optional().openapi({ description: 'A logs pipeline id (default `logs`). Traces and metrics pipelines are refused with 400.', example: 'logs' }),
  processor: z.string().optional().openapi({ description: "Show this processor's output instead of the records leaving the receivers." }),
  where: z.string().optional().openapi({ description: 'OTTL condition in the log context; one that does not parse is refused with 400 and its column.', example: 'severity_number >= SEVERITY_NUMBER_WARN' }),
  limit: z.string().regex(/^\d+$/, 'expected a whole number >= 0').optional().openapi({ description: 'End after this many records (default: no limit).', example: '100' }),
  format: z.enum(['sse', 'jsonl']).optional().openapi({ description: 'Server-Sent Events (default) or JSON lines over chunked HTTP (for curl).' }),
});

const stream200 = {
  description: 'The live tail: events `ready`, `record`, `dropped`, `end` (README, "Live tail and status page").',
  content: { [TAIL_CONTENT_TYPES.sse]: { schema: z.string() }, [TAIL_CONTENT_TYPES.jsonl]: { schema: z.string() } },
};

const tailRoute = createRoute({
  method: 'get',
  path: `${API_PREFIX}/tail`,
  summary: 'Live tail of a logs pipeline: records as they leave the receivers (or a chosen processor), sampled under load, slow subscribers cut off',
  request: { query: TailQuery },
  responses: { 200: stream200, ...commonErrors, ...notFound },
});

/**
 * `GET /api/v1/tail`: the live tail (src/tail/). Refusals: 400 (bad where, with its column; not a
 * logs pipeline; bad limit or format), 404 (unknown pipeline or processor).
 */
export function mountTail(app: OpenAPIHono, hub: () => TailHub | undefined): void {
  app.openapi(tailRoute, (c) => {
    const tail = hub();
    if (tail === undefined) return refuse(c, 503, 'unavailable', 'the pipelines are not running');
    const q = c.req.valid('query');
    const format: TailFormat = q.format ?? 'sse';
    const limit = q.limit === undefined ? 0 : Number(q.limit);
    if (!Number.isSafeInteger(limit)) return refuse(c, 400, 'bad_request', `limit: expected a whole number >= 0, got "${q.limit}"`);
    let sub: TailSubscriber;
    try {
      sub = tail.subscribe({ pipeline: q.pipeline, processor: q.processor, where: q.where, limit });
    } catch (err) {
      if (!(err instanceof TailRequestError)) throw err;
      return refuse(c, err.status, err.status === 404 ? 'not_found' : 'bad_request', err.message, err.column);
    }
    const ready = { pipeline: sub.pipeline, processor: sub.processor ?? null, where: q.where || null, limit };
    return new Response(stream(c, sub, format, formatReady(format, ready)), {
      headers: {
        'content-type': TAIL_CONTENT_TYPES[format],
        'cache-control': 'no-cache, no-store',
        // Reverse proxies (nginx) would otherwise hold events back until a buffer fills.
        'x-accel-buffering': 'no',
      },
    });
  });
}

/** The admin API's error body (api/schemas.ts), with the column of a bad `where`. */
function refuse(c: Context, status: 400 | 404 | 503, code: string, message: string, column?: number): Response {
  return c.json({ error: column === undefined ? { code, message } : { code, message, column } }, status);
}

function stream(c: Context, sub: TailSubscriber, format: TailFormat, first: string): ReadableStream<Uint8Array> {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(first));
    },
    // Called only when the client's socket took the previous chunk: this is the backpressure that
    // lets the subscriber's buffer fill (and the subscriber be cut off) instead of our memory.
    async pull(controller) {
      const ev = await sub.next();
      if (ev === undefined) {
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(formatEvent(format, ev)));
      if (ev.type !== 'end') return;
      controller.close();
      if (ev.code === 'slow_subscriber' && outgoing !== undefined) {
        const timer = setTimeout(() => {
          if (!outgoing.writableFinished) outgoing.destroy();
        }, CUT_OFF_CLOSE_GRACE_MS);
        timer.unref();
        outgoing.once('close', () => clearTimeout(timer));
      }
    },
    cancel() {
      sub.close();
    },
  });
}
