import type { Logs, LogRecord, ResourceLogs, ScopeLogs } from '../../pdata/model.js';
import type { SendResult } from './sender.js';

/**
 * Size-bounded batching for backends with request limits (Datadog: 1000 items / 5 MB; New Relic:
 * 1 MB; Azure: 1 MB; Google: 10 MB). One queued request may become several backend requests:
 * pack items greedily in order, and when the backend (or a local measurement) still says "too
 * large", halve and resend. An item that is too large on its own can never be accepted; it is
 * handed back so the caller can dead-letter it while the rest is delivered.
 */

export interface BatchLimits {
  /** Most items per backend request (Datadog: 1000). */
  maxItems?: number;
  /** Most bytes per backend request: base + items + separators. */
  maxBytes: number;
  /** Bytes every request costs whatever it holds (JSON `[]`, protobuf envelope). */
  baseBytes?: number;
  /** Bytes between two items (JSON `,`). */
  separatorBytes?: number;
}

export interface Packed<T> {
  batches: T[][];
  /** Items whose size alone exceeds the byte limit. */
  oversize: T[];
}

/** Greedy, order-preserving packing: every batch within `limits`, as few batches as that allows. */
export function packBySize<T>(items: readonly T[], sizeOf: (item: T) => number, limits: BatchLimits): Packed<T> {
  const base = limits.baseBytes ?? 0;
  const sep = limits.separatorBytes ?? 0;
  const maxItems = limits.maxItems ?? Number.POSITIVE_INFINITY;
  const batches: T[][] = [];
  const oversize: T[] = [];
  let current: T[] = [];
  let currentBytes = base;
  for (const item of items) {
    const size = sizeOf(item);
    if (base + size > limits.maxBytes) {
      oversize.push(item);
      continue;
    }
    const added = current.length === 0 ? size : sep + size;
    if (current.length > 0 && (current.length >= maxItems || currentBytes + added > limits.maxBytes)) {
      batches.push(current);
      current = [];
      currentBytes = base;
    }
    currentBytes += current.length === 0 ? size : sep + size;
    current.push(item);
  }
  if (current.length > 0) batches.push(current);
  return { batches, oversize };
}

/** What sending one batch can answer, besides a SendResult: the batch was too large (413 or measured). */
export type BatchOutcome = SendResult | { kind: 'too_large'; reason: string };

export interface BatchesOutcome<T> {
  /** The first retryable or permanent answer; sending stopped there. Undefined when every batch went. */
  failure?: SendResult;
  /** Items refused as too large even alone, with the last reason given. */
  tooLarge: T[];
  tooLargeReason?: string;
  /** Items the backend accepted. */
  delivered: number;
  /** Records the backend reported as rejected in a partial success. */
  partiallyRejected: number;
}

/**
 * Send batches in order. "Too large" halves the batch and sends both halves (a 413 means the
 * backend measured differently than we did); a single item still too large is set aside. The
 * first retryable or permanent answer stops the run: the caller retries the whole request, so
 * batches already delivered may be delivered again (at-least-once).
 */
export async function sendInBatches<T>(batches: T[][], sendOne: (batch: T[]) => Promise<BatchOutcome>): Promise<BatchesOutcome<T>> {
  const out: BatchesOutcome<T> = { tooLarge: [], delivered: 0, partiallyRejected: 0 };
  const work = [...batches].reverse(); // a stack, so halves are sent before later batches (order kept)
  while (work.length > 0) {
    const batch = work.pop()!;
    const result = await sendOne(batch);
    if (result.kind === 'success') {
      out.delivered += batch.length;
      out.partiallyRejected += result.rejected ?? 0;
      continue;
    }
    if (result.kind === 'too_large') {
      if (batch.length === 1) {
        out.tooLarge.push(batch[0]);
        out.tooLargeReason = result.reason;
        continue;
      }
      const mid = Math.ceil(batch.length / 2);
      work.push(batch.slice(mid), batch.slice(0, mid));
      continue;
    }
    out.failure = result;
    return out;
  }
  return out;
}

/** One log record with the resource and scope it came under. */
export interface RecordRef {
  readonly resourceLogs: ResourceLogs;
  readonly scopeLogs: ScopeLogs;
  readonly record: LogRecord;
}

export function flattenRecords(logs: Logs): RecordRef[] {
  const refs: RecordRef[] = [];
  for (const resourceLogs of logs.resourceLogs)
    for (const scopeLogs of resourceLogs.scopeLogs) for (const record of scopeLogs.logRecords) refs.push({ resourceLogs, scopeLogs, record });
  return refs;
}

/** A Logs holding just these records, grouped under their original resources and scopes, in order. */
export function regroupRecords(refs: readonly RecordRef[]): Logs {
  const byResource = new Map<ResourceLogs, Map<ScopeLogs, LogRecord[]>>();
  for (const { resourceLogs, scopeLogs, record } of refs) {
    let scopes = byResource.get(resourceLogs);
    if (!scopes) byResource.set(resourceLogs, (scopes = new Map()));
    let records = scopes.get(scopeLogs);
    if (!records) scopes.set(scopeLogs, (records = []));
    records.push(record);
  }
  const resourceLogs: ResourceLogs[] = [];
  for (const [rl, scopes] of byResource) {
    const scopeLogs: ScopeLogs[] = [];
    for (const [sl, logRecords] of scopes) scopeLogs.push({ scope: sl.scope, schemaUrl: sl.schemaUrl, logRecords });
    resourceLogs.push({ resource: rl.resource, schemaUrl: rl.schemaUrl, scopeLogs });
  }
  return { resourceLogs };
}
