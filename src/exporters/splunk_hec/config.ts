import { z } from 'zod';
import { duration, httpUrl } from '../../config/types.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { httpClientShape } from '../helper/http-client.js';
import { exporterHelperShape } from '../helper/config.js';
import { secretHeaders } from '../otlphttp/config.js';

/**
 * The Collector contrib splunk_hec exporter's keys (its README), logs only, plus `ack`: HEC
 * indexer acknowledgment, which the Collector does not offer. Connection-pool and heartbeat keys
 * are accepted so Collector configs load (docs/splunk-hec.md says what each does here).
 */

/** The Collector's defaults. */
export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_CONTENT_LENGTH_LOGS = 2 * 1024 * 1024;
/** The Collector's hard ceiling for max_content_length_logs (800 MiB). */
export const MAX_CONTENT_LENGTH_CEILING = 800 * 1024 * 1024;
export const DEFAULT_MAX_EVENT_SIZE = 5 * 1024 * 1024;
export const DEFAULT_APP_NAME = 'OpenTelemetry Collector Contrib';
/** How often the ack endpoint is asked, and how long a request waits for its acks before it is resent. */
export const DEFAULT_ACK_POLL_INTERVAL_MS = 1_000;
export const DEFAULT_ACK_TIMEOUT_MS = 60_000;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const metadataMapping = () =>
  z
    .strictObject({
      source: z.string().default('com.splunk.source'),
      sourcetype: z.string().default('com.splunk.sourcetype'),
      index: z.string().default('com.splunk.index'),
      host: z.string().default('host.name'),
    })
    .prefault({});

export const splunkHecConfigSchema = z
  .strictObject({
    token: z
      .string()
      .min(1, 'expected the HEC token')
      .transform((v) => {
        registerSecret(v);
        return v;
      }),
    /** The HEC URL, e.g. https://splunk:8088/services/collector. */
    endpoint: httpUrl(),
    source: z.string().default(''),
    sourcetype: z.string().default(''),
    index: z.string().default(''),
    /** Largest request body before compression; 0: the Collector's ceiling (800 MiB). */
    max_content_length_logs: z.number().int().min(0).max(MAX_CONTENT_LENGTH_CEILING).default(DEFAULT_MAX_CONTENT_LENGTH_LOGS),
    /** Largest single event; a bigger one is dead-lettered (the Collector drops it). */
    max_event_size: z.number().int().min(1).default(DEFAULT_MAX_EVENT_SIZE),
    disable_compression: z.boolean().default(false),
    splunk_app_name: z.string().default(DEFAULT_APP_NAME),
    splunk_app_version: z.string().default(''),
    /** The receiver direction in the Collector; accepted here for shared configs. */
    hec_metadata_to_otel_attrs: metadataMapping(),
    otel_attrs_to_hec_metadata: metadataMapping(),
    /** Where severity goes in `fields` (the Collector's key and defaults). */
    otel_to_hec_fields: z
      .strictObject({
        severity_text: z.string().min(1).default('otel.log.severity.text'),
        severity_number: z.string().min(1).default('otel.log.severity.number'),
        name: z.string().optional(),
      })
      .prefault({}),
    /** false: log records are dropped (counted as sent, as the Collector does), not exported. */
    log_data_enabled: z.boolean().default(true),
    /** Accepted: other signals' keys of the same Collector component. */
    profiling_data_enabled: z.boolean().optional(),
    max_content_length_metrics: z.number().int().nonnegative().optional(),
    max_content_length_traces: z.number().int().nonnegative().optional(),
    use_multi_metric_format: z.boolean().optional(),
    export_raw: z.literal(false, { message: 'export_raw (the /services/collector/raw endpoint) is not supported; leave it false' }).optional(),
    /** Older Collector spelling of tls.ca_file / cert_file / key_file. */
    ca_file: z.string().optional(),
    cert_file: z.string().optional(),
    key_file: z.string().optional(),
    max_connections: z.number().int().nonnegative().optional(),
    /** Accepted: Collector keys for health checks and heartbeats (the pool's keys are the HTTP client's). */
    health_path: z.string().optional(),
    health_check_enabled: z.boolean().optional(),
    heartbeat: z.strictObject({ interval: duration().optional(), startup: z.boolean().optional() }).optional(),
    insecure_skip_verify: z.boolean().optional(),
    ack: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** A GUID; empty: a random one per start (HEC needs one per client). */
        channel: z.string().default('').refine((c) => c === '' || GUID.test(c), 'expected a GUID like "2cb5a5d1-7a2e-4f0c-9a5d-0f4a3c1b2e11"'),
        poll_interval: duration().default(DEFAULT_ACK_POLL_INTERVAL_MS),
        timeout: duration().default(DEFAULT_ACK_TIMEOUT_MS),
      })
      .prefault({}),
    headers: secretHeaders(),
    ...httpClientShape(),
    ...exporterHelperShape(DEFAULT_TIMEOUT_MS),
  })
  .superRefine((c, ctx) => {
    if (c.ack.enabled && c.ack.poll_interval <= 0) ctx.addIssue({ code: 'custom', path: ['ack', 'poll_interval'], message: 'expected a positive duration' });
    if (c.ack.enabled && c.ack.timeout < c.ack.poll_interval) ctx.addIssue({ code: 'custom', path: ['ack', 'timeout'], message: 'expected at least ack.poll_interval' });
  });

export type SplunkHecConfig = z.output<typeof splunkHecConfigSchema>;

/** `…/services/collector[/event]` → `…/services/collector/ack`; any other path gets `/ack` appended. */
export function ackUrl(endpoint: string): URL {
  const url = new URL(endpoint);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = /\/services\/collector(\/event(\/1\.0)?)?$/.test(path) ? path.replace(/\/services\/collector(\/event(\/1\.0)?)?$/, '/services/collector/ack') : `${path}/ack`;
  return url;
}
