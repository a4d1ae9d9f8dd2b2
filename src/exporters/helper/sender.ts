import type { Logs } from '../../pdata/model.js';
import type { BytesSignal } from '../../pdata/signal.js';
import type { Host } from '../../pipeline/component.js';

/**
 * The seam every exporter implements: turn one queued request into backend calls and say how it
 * went, as a value. Queueing, retry/backoff, dead-lettering and metrics live around it
 * (src/exporters/helper/), so a vendor adapter only encodes, splits, authenticates and classifies.
 */
export type SendResult =
  | {
      kind: 'success';
      /** records the backend rejected via partial_success (not retried) */
      rejected?: number;
      message?: string;
      /**
       * Records that can never be accepted (e.g. one record alone above the backend's request size
       * limit) while the rest of the request was delivered. The exporter dead-letters them with
       * `message` as the reason; `rejected` counts them.
       */
      rejectedLogs?: Logs;
    }
  | {
      kind: 'retryable';
      reason: string;
      /** delay the backend asked for (Retry-After, RetryInfo) */
      retryAfterMs?: number;
      /**
       * Part of the request was delivered: the next attempt sends only these records (e.g. the
       * items of an Elasticsearch `_bulk` answer that came back 429). Absent: retry everything.
       * If retries run out, the whole queued request is dead-lettered as before (records already
       * delivered included: a replay duplicates them, never loses one).
       */
      retryLogs?: Logs;
      /** With `retryLogs`: records that can never be accepted, dead-lettered like success's `rejectedLogs`. */
      rejectedLogs?: Logs;
      /** Why `rejectedLogs` were refused. */
      rejectedMessage?: string;
    }
  | { kind: 'permanent'; reason: string };

/** One queued request. The queue stores OTLP protobuf bytes; decode happens only if a sender asks. */
export interface ExportRequest {
  /** Log records in the request (spans or data points for traces and metrics). */
  readonly records: number;
  /**
   * Set for a traces or metrics request (signal-exporter.ts): `bytes()` is then an
   * ExportTraceServiceRequest / ExportMetricsServiceRequest and `logs()` throws.
   */
  readonly signal?: BytesSignal;
  /** ExportLogsServiceRequest protobuf bytes. */
  bytes(): Uint8Array;
  /**
   * The same bytes as parts whose concatenation is `bytes()` (a batch: one part per queued
   * request), for a sender that can write them out one after another without joining them first.
   */
  parts?(): readonly Uint8Array[];
  /** The decoded request (decoded once, on first call). */
  logs(): Logs;
}

export interface LogsSender {
  /**
   * True when `send` uses only `bytes()` (OTLP protobuf out): the in-memory queue then keeps just
   * the bytes, not the decoded request. `logs()` still works, decoding on demand.
   */
  readonly sendsBytes?: boolean;
  /**
   * Called once before the first send (resolve credentials, open channels). `host` finds the
   * extensions the sender uses (an `auth.authenticator`).
   */
  start?(host?: Host): Promise<void>;
  /**
   * Send the request. Must not throw for backend or network failures: classify them. `signal`
   * aborts when the exporter's `timeout` passes or the gateway stops.
   */
  send(request: ExportRequest, signal: AbortSignal): Promise<SendResult>;
  shutdown?(): Promise<void>;
}

export const success = (rejected?: number, message?: string, rejectedLogs?: Logs): SendResult => ({ kind: 'success', rejected, message, rejectedLogs });
export const retryable = (reason: string, retryAfterMs?: number): SendResult => ({ kind: 'retryable', reason, retryAfterMs });
/** Part delivered, `retryLogs` to send again, `rejectedLogs` (optional) never acceptable. */
export const retryPart = (reason: string, retryLogs: Logs, rejected?: { logs: Logs; message: string }, retryAfterMs?: number): SendResult => ({
  kind: 'retryable',
  reason,
  retryAfterMs,
  retryLogs,
  rejectedLogs: rejected?.logs,
  rejectedMessage: rejected?.message,
});
export const permanent = (reason: string): SendResult => ({ kind: 'permanent', reason });
