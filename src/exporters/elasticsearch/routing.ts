import type { AnyValue, KeyValue } from '../../pdata/model.js';
import { anyValueToString, getAttr } from '../../pdata/values.js';
import type { RecordRef } from '../helper/split.js';
import type { ElasticsearchConfig } from './config.js';
import type { DataStream } from './document.js';

/**
 * Where one record goes: `_index`, `_id`, ingest pipeline and bulk action.
 *
 * Effectively-once: a document with an `_id` is written with `create` into a data stream (a
 * second copy is refused with 409, which the sender counts as delivered) and with `index` into a
 * plain index (a second copy overwrites the first). Either way a redelivery after a crash leaves
 * one document. The id is `elasticsearch.document_id` when `logs_dynamic_id` is on, else, for
 * Make scenario executions, the `make.execution.id` attribute (docs/elasticsearch.md).
 */

export interface Route {
  index: string;
  action: 'create' | 'index';
  id?: string;
  pipeline?: string;
  /** Set when the index is a data stream named from `data_stream.*` (otel mode writes it into the document). */
  dataStream?: DataStream;
}

export const DOCUMENT_ID_ATTRIBUTE = 'elasticsearch.document_id';
export const INDEX_ATTRIBUTE = 'elasticsearch.index';
export const PIPELINE_ATTRIBUTE = 'elasticsearch.ingest_pipeline';
export const MAKE_EXECUTION_ID_ATTRIBUTE = 'make.execution.id';
/** The Make receiver's event name for a scenario execution (src/receivers/make/mapping.ts). */
export const MAKE_EXECUTION_EVENT = 'make.scenario.execution';

/** The data stream naming scheme `<type>-<dataset>-<namespace>`: ES's built-in templates make these data streams. */
const DATA_STREAM_NAME = /^(logs|metrics|traces|synthetics)-[^-]+-[^-]+$/;

export function isDataStreamName(index: string): boolean {
  return DATA_STREAM_NAME.test(index);
}

type Config = Pick<ElasticsearchConfig, 'logs_index' | 'index' | 'logs_dynamic_index' | 'logs_dynamic_id' | 'logs_dynamic_pipeline' | 'logstash_format' | 'pipeline' | 'mapping'>;

const text = (v: AnyValue | undefined) => (v === undefined ? undefined : anyValueToString(v) || undefined);

/** First of record, scope, resource attributes that has the key (the Collector's precedence for data_stream.*). */
function recordFirst(ref: RecordRef, key: string): string | undefined {
  return text(getAttr(ref.record.attributes, key)) ?? text(getAttr(ref.scopeLogs.scope?.attributes ?? [], key)) ?? text(getAttr(ref.resourceLogs.resource?.attributes ?? [], key));
}

/** Resource first (the Collector's precedence for the index prefix/suffix). */
function resourceFirst(ref: RecordRef, key: string): string | undefined {
  const lists: KeyValue[][] = [ref.resourceLogs.resource?.attributes ?? [], ref.scopeLogs.scope?.attributes ?? [], ref.record.attributes];
  for (const l of lists) {
    const v = text(getAttr(l, key));
    if (v !== undefined) return v;
  }
  return undefined;
}

export function documentId(ref: RecordRef, config: Config): string | undefined {
  if (config.logs_dynamic_id.enabled) {
    const id = text(getAttr(ref.record.attributes, DOCUMENT_ID_ATTRIBUTE));
    if (id) return id;
  }
  const { record } = ref;
  if (record.eventName !== MAKE_EXECUTION_EVENT && record.eventName !== '') return undefined;
  return text(getAttr(record.attributes, MAKE_EXECUTION_ID_ATTRIBUTE));
}

export function routeOf(ref: RecordRef, config: Config, now: () => Date = () => new Date()): Route {
  const id = documentId(ref, config);
  const pipeline = (config.logs_dynamic_pipeline.enabled ? text(getAttr(ref.record.attributes, PIPELINE_ATTRIBUTE)) : undefined) ?? config.pipeline;
  const explicit = recordFirst(ref, INDEX_ATTRIBUTE);
  const base = config.logs_index ?? config.index;
  let index: string;
  let dataStream: DataStream | undefined;
  if (explicit) index = explicit;
  else if (base && !config.logs_dynamic_index.enabled) index = base;
  else {
    const dataset = recordFirst(ref, 'data_stream.dataset');
    const namespace = recordFirst(ref, 'data_stream.namespace');
    const prefix = resourceFirst(ref, 'elasticsearch.index.prefix');
    const suffix = resourceFirst(ref, 'elasticsearch.index.suffix');
    if (base && dataset === undefined && namespace === undefined && (prefix !== undefined || suffix !== undefined)) index = `${prefix ?? ''}${base}${suffix ?? ''}`;
    else {
      const otel = config.mapping.mode === 'otel';
      let ds = sanitize(dataset ?? 'generic');
      if (otel && !ds.endsWith('.otel')) ds += '.otel';
      dataStream = { type: 'logs', dataset: ds, namespace: sanitize(namespace ?? 'default') };
      index = `logs-${dataStream.dataset}-${dataStream.namespace}`;
    }
  }
  if (config.logstash_format.enabled) index = `${index}${config.logstash_format.prefix_separator}${strftime(config.logstash_format.date_format, recordDate(ref, now))}`;
  const action = isDataStreamName(index) ? 'create' : 'index';
  return { index, action, id, pipeline, dataStream };
}

/** Data stream names may not hold `-` inside a part, nor `\ / * ? " < > | , # :` or spaces (ES naming rules). */
function sanitize(part: string): string {
  return part.toLowerCase().replace(/[\\/*?"<>|,#: -]/g, '_');
}

function recordDate(ref: RecordRef, now: () => Date): Date {
  const nanos = ref.record.timeUnixNano || ref.record.observedTimeUnixNano;
  return nanos > 0n ? new Date(Number(nanos / 1_000_000n)) : now();
}

/** The strftime subset logstash date formats use (UTC). */
function strftime(format: string, d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const parts: Record<string, string> = {
    Y: String(d.getUTCFullYear()),
    y: pad(d.getUTCFullYear() % 100),
    m: pad(d.getUTCMonth() + 1),
    d: pad(d.getUTCDate()),
    H: pad(d.getUTCHours()),
    M: pad(d.getUTCMinutes()),
    '%': '%',
  };
  return format.replace(/%(.)/g, (m, c: string) => parts[c] ?? m);
}
