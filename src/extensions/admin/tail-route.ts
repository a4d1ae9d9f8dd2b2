import type { ServerResponse } from 'node:http';
import type { Context, Hono } from 'hono';
import { TailRequestError, type TailHub } from '../../tail/hub.js';
import type { TailSubscriber } from '../../tail/subscriber.js';
import { formatEvent, formatReady, TAIL_CONTENT_TYPES, type TailFormat } from '../../tail/wire-format.js';

/**
 * A cut-off client that stopped reading altogether still holds its socket; it gets this long to
 * read the `end` event (the reason) before the connection is closed under it. The pipeline never
 * waits for it either way: the subscriber left the tap at the moment it was cut off.
 */
export const CUT_OFF_CLOSE_GRACE_MS = 10_000;

const encoder = new TextEncoder();

/**
 * `GET /api/v1/tail?pipeline=logs&processor=ID&where=<OTTL>&limit=N&format=sse|jsonl`: the live
 * tail (src/tail/). Refusals: 400 (bad where, with its column; not a logs pipeline; bad limit or
 * format), 404 (unknown pipeline or processor).
 */
export function mountTail(app: Hono<any>, hub: () => TailHub | undefined): void {
  app.get('/api/v1/tail', (c) => {
    const tail = hub();
    if (tail === undefined) return c.json({ code: 'UNAVAILABLE', message: 'the pipelines are not running' }, 503);
    const q = c.req.query();
    const format = (q.format ?? 'sse') as TailFormat;
    if (format !== 'sse' && format !== 'jsonl') return c.json({ code: 'BAD_REQUEST', message: `format: expected "sse" or "jsonl", got "${q.format}"` }, 400);
    let limit = 0;
    if (q.limit !== undefined && q.limit !== '') {
      limit = Number(q.limit);
      if (!/^\d+$/.test(q.limit) || !Number.isSafeInteger(limit)) return c.json({ code: 'BAD_REQUEST', message: `limit: expected a whole number >= 0, got "${q.limit}"` }, 400);
    }
    let sub: TailSubscriber;
    try {
      sub = tail.subscribe({ pipeline: q.pipeline, processor: q.processor, where: q.where, limit });
    } catch (err) {
      if (!(err instanceof TailRequestError)) throw err;
      const body: Record<string, unknown> = { code: err.status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', message: err.message };
      if (err.column !== undefined) body.column = err.column;
      return c.json(body, err.status);
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
