import { HttpError } from '../../net/http-error.js';
import type { DeadLetterSelection, Queue } from '../../queue/queue.js';
import { redact } from '../../telemetry/secrets.js';
import type { AdminContext } from './context.js';
import { inspectExporter } from './views.js';

/**
 * The dead-letter side of the admin API, on the running exporter's own queue: a replay goes back
 * into the queue its workers read, so the records are sent without a restart (the offline
 * `queue dead-letter replay` can only leave them for the next start).
 */

export const DEAD_LETTER_PAGE_DEFAULT = 50;
export const DEAD_LETTER_PAGE_MAX = 500;

/** 409 for an exporter whose queue keeps no dead letters across restarts (none, or in memory). */
function persistentQueue(ctx: AdminContext, id: string): Queue {
  const x = inspectExporter(ctx, id);
  if (!x.persistent || !x.queue) {
    throw new HttpError(409, `exporter "${id}" has no persistent queue (set sending_queue.storage to a file_storage extension): it keeps no dead letters to list, replay or delete`);
  }
  return x.queue;
}

export async function listDeadLetters(ctx: AdminContext, id: string, limit: number, cursor: number | undefined) {
  const q = persistentQueue(ctx, id);
  const entries = await q.listDeadLetters({ limit, after: cursor });
  return {
    exporter: id,
    total: q.deadLetterSize(),
    deadLetters: entries.map((e) => ({
      id: e.id,
      reason: redact(e.reason),
      records: e.records,
      bytes: e.bytes,
      attempts: e.attempts,
      enqueuedAt: new Date(e.enqueuedAtMs).toISOString(),
      time: new Date(e.deadLetteredAtMs).toISOString(),
      preview: e.preview === undefined ? null : redact(e.preview),
    })),
    /** Pass as `cursor` for the next page; null when this page was the last. */
    nextCursor: entries.length === limit && entries.length > 0 ? entries[entries.length - 1]!.id : null,
  };
}

export async function replayDeadLetters(ctx: AdminContext, id: string, sel: DeadLetterSelection) {
  const q = persistentQueue(ctx, id);
  const moved = await q.replayDeadLetters(sel);
  ctx.logger.info('dead letters replayed through the admin API', { exporter: id, requests: moved.requests, records: moved.records });
  return { exporter: id, replayed: moved };
}

export async function deleteDeadLetters(ctx: AdminContext, id: string, sel: DeadLetterSelection) {
  const q = persistentQueue(ctx, id);
  const deleted = await q.deleteDeadLetters(sel);
  ctx.logger.info('dead letters deleted through the admin API', { exporter: id, requests: deleted.requests, records: deleted.records });
  return { exporter: id, deleted };
}
