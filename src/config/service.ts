import { z } from 'zod';
import { duration, parseHostPort } from './types.js';

/** The `service` section: extensions, pipelines and the gateway's own telemetry. */

const DEFAULT_METRICS_ADDRESS = '0.0.0.0:8888';
/**
 * How long shutdown lets requests that wait (for room in a full queue, for a batch, for a
 * backend) finish before they are answered 503 / UNAVAILABLE. 30 s: the usual Kubernetes
 * terminationGracePeriodSeconds, so a pod is not killed in the middle of it by default.
 */
export const DEFAULT_SHUTDOWN_GRACE_PERIOD_MS = 30_000;

const pipelineSchema = z.strictObject({
  receivers: z.array(z.string()).min(1, 'a pipeline needs at least one receiver'),
  processors: z.array(z.string()).default([]),
  exporters: z.array(z.string()).min(1, 'a pipeline needs at least one exporter'),
});

const pullReader = z.strictObject({
  pull: z.strictObject({
    exporter: z.strictObject({
      prometheus: z.strictObject({
        host: z.string().default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(8888),
        without_units: z.boolean().optional(),
        without_type_suffix: z.boolean().optional(),
        // prom-client never writes an otel_scope_info series, so the key is honoured as it stands.
        without_scope_info: z.boolean().optional(),
        with_resource_constant_labels: z.unknown().optional(),
      }),
    }),
  }),
});

/** The Collector's push reader: the gateway's own metrics sent over OTLP every `interval`. */
const periodicReader = z.strictObject({
  periodic: z.strictObject({
    interval: z.number().int().positive().default(60_000),
    timeout: z.number().int().positive().optional(),
    exporter: z.strictObject({
      otlp: z.strictObject({
        protocol: z.literal('http/json', { message: 'only protocol "http/json" is supported for the gateway\'s own metrics' }).default('http/json'),
        endpoint: z.string(),
        headers: z.union([z.record(z.string(), z.string()), z.array(z.strictObject({ name: z.string(), value: z.string() }))]).optional(),
      }),
    }),
  }),
});

const metricReader = z.union([pullReader, periodicReader]);

const otlpLogsExporter = z.strictObject({
  otlp: z.strictObject({
    protocol: z.literal('http/json', { message: 'only protocol "http/json" is supported for the gateway\'s own logs' }).default('http/json'),
    endpoint: z.string(),
    headers: z.union([z.record(z.string(), z.string()), z.array(z.strictObject({ name: z.string(), value: z.string() }))]).optional(),
  }),
});

const logsProcessor = z.union([
  z.strictObject({ batch: z.strictObject({ exporter: otlpLogsExporter }) }),
  z.strictObject({ simple: z.strictObject({ exporter: otlpLogsExporter }) }),
]);

const telemetrySchema = z
  .strictObject({
    metrics: z
      .strictObject({
        level: z.enum(['none', 'basic', 'normal', 'detailed']).default('normal'),
        address: z.string().optional(),
        readers: z.array(metricReader).optional(),
      })
      .prefault({}),
    logs: z
      .strictObject({
        level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
        encoding: z.enum(['console', 'json']).optional(),
        development: z.boolean().optional(),
        processors: z.array(logsProcessor).optional(),
        /** Attributes on every log line the gateway writes (the Collector's zap initial fields). */
        initial_fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
        sampling: z.unknown().optional(),
        disable_caller: z.boolean().optional(),
        disable_stacktrace: z.boolean().optional(),
        output_paths: z.array(z.string()).optional(),
        error_output_paths: z.array(z.string()).optional(),
      })
      .prefault({}),
    resource: z.record(z.string(), z.string().nullable()).optional(),
  })
  .prefault({});

export const serviceSchema = z.strictObject({
  extensions: z.array(z.string()).default([]),
  pipelines: z.record(z.string(), pipelineSchema),
  telemetry: telemetrySchema,
  /** Ours (the Collector has no such key): see DEFAULT_SHUTDOWN_GRACE_PERIOD_MS. */
  shutdown_grace_period: duration().default(DEFAULT_SHUTDOWN_GRACE_PERIOD_MS),
});

export type ServiceConfig = z.output<typeof serviceSchema>;
export type TelemetryConfig = ServiceConfig['telemetry'];

/** Where to serve /metrics, or undefined when metrics are off. */
export function metricsListenAddress(t: TelemetryConfig): { host: string; port: number } | undefined {
  if (t.metrics.level === 'none') return undefined;
  const reader = t.metrics.readers?.map((r) => ('pull' in r ? r.pull.exporter.prometheus : undefined)).find((r) => r !== undefined);
  if (reader) return { host: reader.host, port: reader.port };
  // Readers given, none of them pull: metrics are pushed only (as in the Collector).
  if (t.metrics.readers && t.metrics.readers.length > 0 && t.metrics.address === undefined) return undefined;
  return parseHostPort(t.metrics.address ?? DEFAULT_METRICS_ADDRESS);
}
