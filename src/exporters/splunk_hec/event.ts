import type { KeyValue } from '../../pdata/model.js';
import { anyValueToPlainJson, anyValueToString, getAttr } from '../../pdata/values.js';
import type { RecordRef } from '../helper/split.js';
import type { SplunkHecConfig } from './config.js';

/**
 * One OTLP log record → one HEC event (`/services/collector` JSON), as the Collector's
 * splunk_hec exporter writes it: `time` in epoch seconds with a millisecond fraction, `host`,
 * `source`, `sourcetype`, `index` from the `com.splunk.*` attributes (else the config), the body
 * as `event`, every other resource and record attribute in `fields` (indexed fields must be flat:
 * nested maps become dotted keys), severity as `otel.log.severity.text`/`.number`, trace context
 * as `trace_id`/`span_id`.
 */

export interface HecEvent {
  time?: number;
  host?: string;
  source?: string;
  sourcetype?: string;
  index?: string;
  event: unknown;
  fields: Record<string, unknown>;
}

export const SEVERITY_TEXT_FIELD = 'otel.log.severity.text';
export const SEVERITY_NUMBER_FIELD = 'otel.log.severity.number';

type Mapping = Pick<SplunkHecConfig, 'source' | 'sourcetype' | 'index' | 'otel_attrs_to_hec_metadata'> & { otel_to_hec_fields?: SplunkHecConfig['otel_to_hec_fields'] };

/** Nanoseconds → epoch seconds with at most three decimals (HEC reads `time` as seconds). */
export function hecTime(nanos: bigint): number {
  return Number(nanos / 1_000_000n) / 1000;
}

const hex = (id: Uint8Array) => (id.length > 0 && id.some((b) => b !== 0) ? Buffer.from(id).toString('hex') : undefined);

export function toHecEvent(ref: RecordRef, config: Mapping): HecEvent {
  const { record } = ref;
  const resourceAttrs = ref.resourceLogs.resource?.attributes ?? [];
  const meta = config.otel_attrs_to_hec_metadata;
  const metaKeys = new Set([meta.source, meta.sourcetype, meta.index, meta.host]);
  const pick = (key: string) => {
    const v = getAttr(record.attributes, key) ?? getAttr(resourceAttrs, key);
    return v === undefined ? undefined : anyValueToString(v) || undefined;
  };
  const fields: Record<string, unknown> = {};
  flattenInto(fields, '', resourceAttrs, metaKeys);
  flattenInto(fields, '', record.attributes, metaKeys);
  if (record.severityText) fields[config.otel_to_hec_fields?.severity_text ?? SEVERITY_TEXT_FIELD] = record.severityText;
  if (record.severityNumber > 0) fields[config.otel_to_hec_fields?.severity_number ?? SEVERITY_NUMBER_FIELD] = record.severityNumber;
  const traceId = hex(record.traceId);
  const spanId = hex(record.spanId);
  if (traceId) fields.trace_id = traceId;
  if (spanId) fields.span_id = spanId;
  const event: HecEvent = { event: record.body === undefined ? '' : anyValueToPlainJson(record.body), fields };
  const nanos = record.timeUnixNano || record.observedTimeUnixNano;
  if (nanos > 0n) event.time = hecTime(nanos);
  const host = pick(meta.host);
  const source = pick(meta.source) ?? (config.source || undefined);
  const sourcetype = pick(meta.sourcetype) ?? (config.sourcetype || undefined);
  const index = pick(meta.index) ?? (config.index || undefined);
  if (host) event.host = host;
  if (source) event.source = source;
  if (sourcetype) event.sourcetype = sourcetype;
  if (index) event.index = index;
  return event;
}

/** True when HEC would refuse the event as blank (codes 12/13): no body at all, or an empty string. */
export function isBlank(event: HecEvent): boolean {
  return event.event === '' || event.event === null;
}

function flattenInto(out: Record<string, unknown>, prefix: string, attrs: readonly KeyValue[], skip: Set<string>): void {
  for (const kv of attrs) {
    const key = prefix ? `${prefix}.${kv.key}` : kv.key;
    if (!prefix && skip.has(kv.key)) continue;
    if (kv.value?.kvlistValue) flattenInto(out, key, kv.value.kvlistValue.values, skip);
    else out[key] = anyValueToPlainJson(kv.value);
  }
}
