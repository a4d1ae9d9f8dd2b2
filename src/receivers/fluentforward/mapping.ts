import type { AnyValue, KeyValue, Logs } from '../../pdata/model.js';
import { newLogRecord } from '../../pdata/model.js';
import { MAX_ANY_VALUE_DEPTH } from '../../pdata/proto-decode.js';
import { EventTime, ProtocolError, type ForwardMessage } from './protocol.js';

/**
 * Forward events as log records, as the contrib receiver maps them: the event time is the record
 * time, the tag goes to the `fluent.tag` attribute, a string `log` or `message` field becomes the
 * body, every other field an attribute (maps and arrays kept as maps and arrays). Fluent Bit's
 * per-event metadata, when not empty, is kept whole in the `fluent.metadata` attribute (a map), so
 * nothing it sent is dropped and no metadata key can overwrite a record field.
 */

export const TAG_ATTRIBUTE = 'fluent.tag';
export const METADATA_ATTRIBUTE = 'fluent.metadata';
const BODY_KEYS = new Set(['log', 'message']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `depth` counts the maps and arrays around `v`. Deeper than OTLP's AnyValue limit is refused here,
 * with the message, rather than acknowledged and then dead-lettered by the exporter's encoder.
 */
function value(v: unknown, depth = 0): AnyValue {
  if (depth > MAX_ANY_VALUE_DEPTH) throw new ProtocolError(`a record value nests deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  if (v instanceof Uint8Array) {
    try {
      return { stringValue: utf8.decode(v) };
    } catch {
      return { bytesValue: v };
    }
  }
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'bigint') return { intValue: v };
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { intValue: BigInt(v) } : { doubleValue: v };
  if (v instanceof EventTime) return { intValue: BigInt(v.seconds) * 1_000_000_000n + BigInt(v.nanoseconds) };
  if (Array.isArray(v)) return { arrayValue: { values: v.map((x) => value(x, depth + 1)) } };
  if (typeof v === 'object' && v !== null) return { kvlistValue: { values: Object.entries(v).map(([key, x]) => ({ key, value: value(x, depth + 1) })) } };
  return {};
}

export function forwardToLogs(m: ForwardMessage, observedUnixNano: bigint): Logs {
  const logRecords = m.events.map((e) => {
    const attributes: KeyValue[] = [{ key: TAG_ATTRIBUTE, value: { stringValue: m.tag } }];
    let body: AnyValue | undefined;
    for (const [key, raw] of Object.entries(e.record)) {
      const v = value(raw);
      if (BODY_KEYS.has(key) && v.stringValue !== undefined) body = v;
      else attributes.push({ key, value: v });
    }
    if (e.metadata) attributes.push({ key: METADATA_ATTRIBUTE, value: value(e.metadata) });
    return newLogRecord({ timeUnixNano: e.timeUnixNano, observedTimeUnixNano: observedUnixNano, body, attributes });
  });
  return { resourceLogs: [{ resource: { attributes: [], droppedAttributesCount: 0 }, scopeLogs: [{ schemaUrl: '', logRecords }], schemaUrl: '' }] };
}
