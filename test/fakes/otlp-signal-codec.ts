import { resolve } from 'node:path';
import protobuf from 'protobufjs';

/**
 * The OTLP request and response messages of all three signals, read with protobufjs from the
 * spec's .proto files (proto/, field numbers as published): a decoder independent of the
 * gateway's own codecs, so a test that compares through it checks the gateway, not itself.
 *
 * `canonical` turns a request body (protobuf or OTLP/JSON) into one plain-object form: int64 as
 * decimal strings, enums as numbers, ids as lowercase hex, other bytes as base64, every field
 * present (defaults filled in) so "absent" and "zero" compare equal, as protobuf says they are.
 */

export type OtlpSignal = 'logs' | 'traces' | 'metrics';

const PROTO_ROOT = resolve(import.meta.dirname, '../../proto');
const SERVICE_FILES: Record<OtlpSignal, string> = {
  logs: 'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  traces: 'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  metrics: 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
};
const PACKAGES: Record<OtlpSignal, string> = {
  logs: 'opentelemetry.proto.collector.logs.v1.ExportLogsService',
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceService',
  metrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsService',
};
/** The PartialSuccess counter of each signal's response, in OTLP/JSON spelling. */
export const REJECTED_FIELD: Record<OtlpSignal, string> = { logs: 'rejectedLogRecords', traces: 'rejectedSpans', metrics: 'rejectedDataPoints' };

/** OTLP/JSON writes these bytes fields as hex, not base64 (the OTLP spec's one exception). */
const HEX_ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

let root: protobuf.Root | undefined;
function loadRoot(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => resolve(PROTO_ROOT, target);
  r.loadSync(Object.values(SERVICE_FILES));
  return (root = r);
}

export const requestType = (signal: OtlpSignal) => loadRoot().lookupType(`${PACKAGES[signal]}Request`);
export const responseType = (signal: OtlpSignal) => loadRoot().lookupType(`${PACKAGES[signal]}Response`);

type Plain = Record<string, unknown>;

/** The request body in canonical form; throws on bytes or JSON that are not the signal's request. */
export function canonical(signal: OtlpSignal, body: Uint8Array, encoding: 'proto' | 'json'): Plain {
  const type = requestType(signal);
  const bytes = encoding === 'proto' ? body : type.encode(type.fromObject(jsonIdsToBase64(JSON.parse(Buffer.from(body).toString('utf8'))) as Plain)).finish();
  const message = type.decode(bytes);
  return idsToHex(type.toObject(message, { longs: String, enums: Number, bytes: String, defaults: true, arrays: true, objects: true, oneofs: true })) as Plain;
}

/** An OTLP/JSON request object (hex ids) as protobuf bytes, the way a protobuf client sends it. */
export function encodeRequest(signal: OtlpSignal, json: unknown): Buffer {
  const type = requestType(signal);
  return Buffer.from(type.encode(type.fromObject(jsonIdsToBase64(json) as Plain)).finish());
}

/** The export response the backend answers, with `rejected` items refused by partial success. */
export function encodeResponse(signal: OtlpSignal, encoding: 'proto' | 'json', rejected = 0, errorMessage = ''): Buffer {
  const partialSuccess = rejected || errorMessage ? { [REJECTED_FIELD[signal]]: rejected, errorMessage } : undefined;
  if (encoding === 'json') return Buffer.from(JSON.stringify(partialSuccess ? { partialSuccess: { ...partialSuccess, [REJECTED_FIELD[signal]]: String(rejected) } } : {}));
  const type = responseType(signal);
  return Buffer.from(type.encode(type.fromObject(partialSuccess ? { partialSuccess } : {})).finish());
}

/** Spans, data points or log records in a canonical request. */
export function countItems(signal: OtlpSignal, request: Plain): number {
  const list = (o: unknown, key: string) => ((o as Plain)[key] as Plain[]) ?? [];
  if (signal === 'traces') return list(request, 'resourceSpans').reduce((n, rs) => n + list(rs, 'scopeSpans').reduce((m, ss) => m + list(ss, 'spans').length, 0), 0);
  if (signal === 'logs') return list(request, 'resourceLogs').reduce((n, rl) => n + list(rl, 'scopeLogs').reduce((m, sl) => m + list(sl, 'logRecords').length, 0), 0);
  return metricsOf(request).reduce((n, m) => n + dataPointsOf(m).length, 0);
}

/** Every Metric of a canonical metrics request, in order. */
export function metricsOf(request: Plain): Plain[] {
  const rms = (request.resourceMetrics as Plain[]) ?? [];
  return rms.flatMap((rm) => ((rm.scopeMetrics as Plain[]) ?? []).flatMap((sm) => (sm.metrics as Plain[]) ?? []));
}

/** The data points of a canonical Metric, whatever its kind. */
export function dataPointsOf(metric: Plain): Plain[] {
  const kind = metric.data as string | undefined;
  return kind ? (((metric[kind] as Plain).dataPoints as Plain[]) ?? []) : [];
}

/** Every Span of a canonical traces request, in order. */
export function spansOf(request: Plain): Plain[] {
  const rss = (request.resourceSpans as Plain[]) ?? [];
  return rss.flatMap((rs) => ((rs.scopeSpans as Plain[]) ?? []).flatMap((ss) => (ss.spans as Plain[]) ?? []));
}

function jsonIdsToBase64(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonIdsToBase64);
  if (value === null || typeof value !== 'object') return value;
  const out: Plain = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = HEX_ID_KEYS.has(k) && typeof v === 'string' ? Buffer.from(v, 'hex').toString('base64') : jsonIdsToBase64(v);
  }
  return out;
}

function idsToHex(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(idsToHex);
  if (value === null || typeof value !== 'object') return value;
  const out: Plain = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = HEX_ID_KEYS.has(k) && typeof v === 'string' ? Buffer.from(v, 'base64').toString('hex') : idsToHex(v);
  }
  return out;
}
