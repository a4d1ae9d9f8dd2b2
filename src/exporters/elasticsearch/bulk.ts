import type { RecordRef } from '../helper/split.js';
import type { Route } from './routing.js';

/**
 * The `_bulk` API's wire format (Elasticsearch Bulk API reference): NDJSON, one action line and
 * one source line per document, the body ending in a newline; the answer lists one item per
 * action, in order, each with its own status and error.
 */

export interface BulkItem {
  readonly ref: RecordRef;
  readonly route: Route;
  /** Action line + "\n" + document + "\n". */
  readonly ndjson: string;
  readonly bytes: number;
}

export function bulkItem(ref: RecordRef, route: Route, document: Record<string, unknown>): BulkItem {
  const meta: Record<string, string> = { _index: route.index };
  if (route.id !== undefined) meta._id = route.id;
  if (route.pipeline !== undefined) meta.pipeline = route.pipeline;
  const ndjson = `${JSON.stringify({ [route.action]: meta })}\n${JSON.stringify(document)}\n`;
  return { ref, route, ndjson, bytes: Buffer.byteLength(ndjson) };
}

export type ItemOutcome =
  /** `conflict`: a 409 on a `create` with an id, the document was already there. */
  | { kind: 'ok'; conflict?: boolean }
  | { kind: 'retry'; status: number; reason: string }
  | { kind: 'reject'; status: number; reason: string };

interface ItemResult {
  status?: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } } | string;
}

const HTTP_CONFLICT = 409;
/** An item error's text in a dead-letter reason: the type and reason ES gave, cut short. */
const MAX_ITEM_REASON_CHARS = 300;

function describe(status: number, error: ItemResult['error']): string {
  if (typeof error === 'string') return `${status}: ${error}`.slice(0, MAX_ITEM_REASON_CHARS);
  const cause = error?.caused_by ? ` (caused by ${error.caused_by.type ?? ''}: ${error.caused_by.reason ?? ''})` : '';
  return `${status} ${error?.type ?? 'error'}: ${error?.reason ?? ''}${cause}`.slice(0, MAX_ITEM_REASON_CHARS);
}

/**
 * Reads a `_bulk` answer against the items sent. A 409 on a `create` with an id means the
 * document is already there (an earlier delivery of the same record): delivered.
 * Undefined when the answer is not a bulk answer for these items (the caller retries the batch).
 */
export function readBulkResponse(body: string, items: readonly BulkItem[], retryOnStatus: ReadonlySet<number>): ItemOutcome[] | undefined {
  let parsed: { errors?: boolean; items?: Record<string, ItemResult>[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed.items) || parsed.items.length !== items.length) return undefined;
  return parsed.items.map((entry, i) => {
    const result = Object.values(entry)[0] ?? {};
    const status = typeof result.status === 'number' ? result.status : 0;
    if (status >= 200 && status < 300) return { kind: 'ok' };
    const item = items[i]!;
    if (status === HTTP_CONFLICT && item.route.action === 'create' && item.route.id !== undefined) return { kind: 'ok', conflict: true };
    const reason = describe(status, result.error);
    if (retryOnStatus.has(status)) return { kind: 'retry', status, reason };
    return { kind: 'reject', status, reason };
  });
}
