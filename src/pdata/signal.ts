import type { ClientInfo } from './client-info.js';
import { invalid, ProtoReader } from './proto-wire.js';
import { ExportMetricsServiceRequest, ExportTraceServiceRequest, METRIC_DATA_FIELDS, type MessageDef } from './otlp-schema.js';

/**
 * The three OTLP signals. Logs have a model of their own (model.ts) because processors read and
 * change them; traces and metrics travel as the ExportTraceServiceRequest /
 * ExportMetricsServiceRequest protobuf bytes they arrived in: the queue holds bytes, so the
 * pass-through path needs no decoding (docs/architecture.md §3). What the gateway must know about
 * them, the number of spans or data points (for metrics, batching and partial success), is found
 * by walking the wire, which also checks that the bytes are well-formed protobuf.
 */
export type Signal = 'logs' | 'traces' | 'metrics';
export const SIGNALS: readonly Signal[] = ['logs', 'traces', 'metrics'];

/** The signals without a decoded model of their own. */
export type BytesSignal = Exclude<Signal, 'logs'>;

/** One traces or metrics export request on its way through a pipeline. */
export interface SignalRequest {
  readonly signal: BytesSignal;
  /** ExportTraceServiceRequest / ExportMetricsServiceRequest protobuf bytes. */
  readonly bytes: Uint8Array;
  /** Spans or data points in it. */
  readonly items: number;
  /** The client that sent it, with the receiver's `include_metadata` (for `from_context`). */
  readonly client?: ClientInfo;
}

/** What an item of a signal is called in messages and metric names. */
export const ITEM_NOUN: Record<Signal, string> = { logs: 'log records', traces: 'spans', metrics: 'data points' };

/** The message an export request of the signal is. */
export const REQUEST_DEF: Record<BytesSignal, MessageDef> = { traces: ExportTraceServiceRequest, metrics: ExportMetricsServiceRequest };

/** A request from its bytes: items counted by a walk; throws PermanentError (PAYLOAD_INVALID) on malformed bytes. */
export function signalRequest(signal: BytesSignal, bytes: Uint8Array): SignalRequest {
  return { signal, bytes, items: countItems(signal, bytes) };
}

const LEN1 = (1 << 3) | 2;
const LEN2 = (2 << 3) | 2;

/**
 * Spans (request → resource_spans(1) → scope_spans(2) → spans(2)) or data points (request →
 * resource_metrics(1) → scope_metrics(2) → metrics(2) → gauge/sum/histogram/
 * exponential_histogram/summary → data_points(1)), as the Collector's `SpanCount` /
 * `DataPointCount` count them.
 */
export function countItems(signal: BytesSignal, bytes: Uint8Array): number {
  const r = new ProtoReader(bytes);
  const leaf = signal === 'traces' ? countSpans : countMetricPoints;
  let items = 0;
  forEachLen(r, r.length, LEN1, (resourceEnd) =>
    forEachLen(r, resourceEnd, LEN2, (scopeEnd) =>
      forEachLen(r, scopeEnd, LEN2, (itemEnd) => {
        items += leaf(r, itemEnd);
      }),
    ),
  );
  return items;
}

/** Calls `visit` for each length-delimited field with this tag; skips the rest; checks the end. */
function forEachLen(r: ProtoReader, end: number, tag: number, visit: (end: number) => void): void {
  while (r.pos < end) {
    const t = r.tag();
    if (t === tag) {
      const inner = r.lengthEnd();
      visit(inner);
      r.pos = inner;
    } else r.skip(t);
  }
  if (r.pos !== end) invalid('field overruns its enclosing message');
}

function countSpans(r: ProtoReader, end: number): number {
  r.pos = end;
  return 1;
}

function countMetricPoints(r: ProtoReader, end: number): number {
  let points = 0;
  while (r.pos < end) {
    const t = r.tag();
    if ((t & 7) === 2 && METRIC_DATA_FIELDS.has(t >>> 3)) {
      const dataEnd = r.lengthEnd();
      forEachLen(r, dataEnd, LEN1, () => {
        points++;
      });
    } else r.skip(t);
  }
  if (r.pos !== end) invalid('field overruns its enclosing message');
  return points;
}

/**
 * Splits a request into requests of whole top-level resource entries (field 1), each at most
 * `maxBytes` unless one resource alone is bigger (it then goes alone). Concatenating the parts
 * gives the request back: a backend with a size limit gets requests it can take without any
 * decoding.
 */
export function splitByResource(bytes: Uint8Array, maxBytes: number): Uint8Array[] {
  if (bytes.length <= maxBytes) return [bytes];
  const r = new ProtoReader(bytes);
  const parts: Uint8Array[] = [];
  let partStart = 0;
  while (r.pos < r.length) {
    const fieldStart = r.pos;
    r.skip(r.tag());
    if (r.pos - partStart > maxBytes && fieldStart > partStart) {
      parts.push(bytes.subarray(partStart, fieldStart));
      partStart = fieldStart;
    }
  }
  if (partStart < bytes.length) parts.push(bytes.subarray(partStart));
  return parts;
}
