import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientInfo } from '../pdata/client-info.js';
import { ProtoReader, ProtoWriter, WIRE_LEN } from '../pdata/proto-wire.js';

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
const TAG = REQUEST_CONTEXT_FIELD * 8 + WIRE_LEN;

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
  const w = new ProtoWriter(bytes.length + 10 + payload.length);
  w.buf.set(bytes, 0);
  w.pos = bytes.length;
  w.varint32(TAG);
  w.varint32(payload.length);
  w.buf.set(payload, w.pos);
  return w.buf.subarray(0, w.pos + payload.length);
}

/**
 * Splits a queued request into its OTLP bytes (every REQUEST_CONTEXT_FIELD removed) and the
 * context it carried. Bytes without the field come back as they are, with no copy; bytes that do
 * not walk as top-level length-delimited fields are left whole.
 */
export function detachRequestContext(bytes: Uint8Array): { bytes: Uint8Array; context: RequestContext | undefined } {
  const cuts: [number, number][] = [];
  let context: Map<string, string> | undefined;
  const r = new ProtoReader(bytes);
  try {
    while (r.pos < r.length) {
      const start = r.pos;
      const tag = r.uint32();
      if ((tag & 7) !== WIRE_LEN) return { bytes, context: undefined };
      const len = r.uint32();
      if (r.pos + len > r.length) return { bytes, context: undefined };
      const payload = bytes.subarray(r.pos, r.pos + len);
      r.pos += len;
      if (tag === TAG) {
        cuts.push([start, r.pos]);
        context = parseContext(payload) ?? context;
      }
    }
  } catch {
    return { bytes, context: undefined }; // a truncated varint: not ours to repair
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
