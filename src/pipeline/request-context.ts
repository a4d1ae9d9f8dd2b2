import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientInfo } from '../pdata/client-info.js';

/**
 * The values of the incoming request's metadata an exporter needs when it sends (headers_setter's
 * `from_context`), keyed by lower-cased metadata key.
 *
 * They must survive the durable queue and a restart, and the queue stores OTLP request bytes. So
 * they travel inside those bytes, as one length-delimited field with a number OTLP does not use
 * (REQUEST_CONTEXT_FIELD), appended after the request's own fields: every protobuf reader skips an
 * unknown field, the queue's formats need no change, and the exporter takes the field off again
 * before anything reads or sends the request (docs/architecture.md §11). Only the keys a
 * headers_setter names are kept, never the whole metadata (it may hold the client's credentials).
 */
export type RequestContext = ReadonlyMap<string, string>;

/** Not used by ExportLogsServiceRequest (field 1 only) nor reserved by protobuf (19000–19999). */
export const REQUEST_CONTEXT_FIELD = 15_000;
const WIRE_LEN = 2;
const TAG = varint(REQUEST_CONTEXT_FIELD * 8 + WIRE_LEN);

/** The values of `keys` the client sent (first value of each), or undefined when it sent none. */
export function pickRequestContext(client: ClientInfo | undefined, keys: readonly string[]): RequestContext | undefined {
  if (!client?.metadata || keys.length === 0) return undefined;
  const picked = new Map<string, string>();
  for (const key of keys) {
    const values = client.metadata.get(key);
    if (values && values.length > 0) picked.set(key, values.join(';'));
  }
  return picked.size > 0 ? picked : undefined;
}

/** The request's bytes with `context` appended as REQUEST_CONTEXT_FIELD (a copy; the input is kept). */
export function attachRequestContext(bytes: Uint8Array, context: RequestContext | undefined): Uint8Array {
  if (!context || context.size === 0) return bytes;
  const payload = Buffer.from(JSON.stringify(Object.fromEntries(context)), 'utf8');
  const length = varint(payload.length);
  const out = new Uint8Array(bytes.length + TAG.length + length.length + payload.length);
  out.set(bytes, 0);
  out.set(TAG, bytes.length);
  out.set(length, bytes.length + TAG.length);
  out.set(payload, bytes.length + TAG.length + length.length);
  return out;
}

/**
 * Splits a queued request into its OTLP bytes (every REQUEST_CONTEXT_FIELD removed) and the
 * context it carried. Bytes without the field come back as they are, with no copy.
 */
export function detachRequestContext(bytes: Uint8Array): { bytes: Uint8Array; context: RequestContext | undefined } {
  const cuts: [number, number][] = [];
  let context: Map<string, string> | undefined;
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const [tag, afterTag] = readVarint(bytes, pos);
    if (afterTag < 0) break;
    const wire = tag & 7;
    if (wire !== WIRE_LEN) return { bytes, context }; // not a request we can walk further: leave it whole
    const [len, afterLen] = readVarint(bytes, afterTag);
    if (afterLen < 0 || afterLen + len > bytes.length) return { bytes, context };
    pos = afterLen + len;
    if (Math.floor(tag / 8) !== REQUEST_CONTEXT_FIELD) continue;
    cuts.push([start, pos]);
    context = parseContext(bytes.subarray(afterLen, pos)) ?? context;
  }
  if (cuts.length === 0) return { bytes, context: undefined };
  const kept = new Uint8Array(bytes.length - cuts.reduce((n, [a, b]) => n + (b - a), 0));
  let from = 0;
  let at = 0;
  for (const [a, b] of cuts) {
    kept.set(bytes.subarray(from, a), at);
    at += a - from;
    from = b;
  }
  kept.set(bytes.subarray(from), at);
  return { bytes: kept, context };
}

/** A stable key for grouping queued requests that may be sent together. */
export function contextKey(context: RequestContext | undefined): string {
  return context ? JSON.stringify([...context].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : '';
}

const current = new AsyncLocalStorage<RequestContext | undefined>();

/** Runs one delivery (its retries and token fetches included) with `context` as the current one. */
export function withRequestContext<T>(context: RequestContext | undefined, run: () => T): T {
  return context ? current.run(context, run) : run();
}

/** The context of the delivery in progress, for headers_setter's `from_context`. */
export function currentRequestContext(): RequestContext | undefined {
  return current.getStore();
}

function parseContext(bytes: Uint8Array): Map<string, string> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const out = new Map<string, string>();
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out.set(k, v);
    return out;
  } catch {
    return undefined;
  }
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** [value, position after it], or [0, -1] when the bytes end inside it. Values up to 2^53. */
function readVarint(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < bytes.length && i < pos + 8; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, i + 1];
    scale *= 0x80;
  }
  return [0, -1];
}
