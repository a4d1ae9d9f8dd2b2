import { z } from 'zod';
import { duration, httpUrl } from '../../config/types.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { httpClientShape } from '../helper/http-client.js';
import { exporterHelperShape } from '../helper/config.js';

/**
 * The Collector datadog exporter's keys (api.key, api.site, logs.endpoint, logs.use_compression,
 * logs.compression_level, hostname), plus ours where it has none (`tags`, `logs.source`).
 */

/** Datadog's US1 site, the Collector's default. */
export const DEFAULT_SITE = 'datadoghq.com';
/** Datadog sites with a logs intake (Datadog "Send logs" API reference). Others are accepted too. */
export const KNOWN_SITES = [
  'datadoghq.com',
  'us3.datadoghq.com',
  'us5.datadoghq.com',
  'datadoghq.eu',
  'ap1.datadoghq.com',
  'ap2.datadoghq.com',
  'uk1.datadoghq.com',
  'ddog-gov.com',
  'us2.ddog-gov.com',
] as const;
/** What Datadog shows as the log source when the pipeline does not say; the Collector's value. */
export const DEFAULT_SOURCE = 'otlp_log_ingestion';
/** The Collector datadog exporter's timeout default. */
export const DEFAULT_TIMEOUT_MS = 15_000;
/** The Collector's default gzip level for Datadog logs: a good ratio without much CPU. */
export const DEFAULT_COMPRESSION_LEVEL = 6;
export const LOGS_PATH = '/api/v2/logs';

const HOSTNAME_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;

const secretString = () =>
  z
    .string()
    .min(1, 'expected a non-empty API key')
    .transform((v) => {
      registerSecret(v);
      return v;
    });

export const datadogConfigSchema = z.strictObject({
  api: z.strictObject({
    key: secretString(),
    site: z
      .string()
      .regex(HOSTNAME_RE, `expected a Datadog site like "${DEFAULT_SITE}" or "datadoghq.eu"`)
      .default(DEFAULT_SITE),
    /** Accepted for Collector configs; this gateway does not call the key validation API. */
    fail_on_invalid_key: z.boolean().default(false),
  }),
  logs: z
    .strictObject({
      /** A base URL (scheme, host, port); `/api/v2/logs` is appended. Overrides api.site. */
      endpoint: httpUrl().optional(),
      use_compression: z.boolean().default(true),
      compression_level: z.number().int().min(1).max(9).default(DEFAULT_COMPRESSION_LEVEL),
      /** Accepted for Collector configs; batching here is the batch processor's and the queue's. */
      batch_wait: duration().optional(),
      /** `ddsource` of every entry. */
      source: z.string().min(1).default(DEFAULT_SOURCE),
    })
    .prefault({}),
  /** Used when a resource has no `host.name`. */
  hostname: z.string().min(1).optional(),
  /** Added to every entry's `ddtags`, as `key:value` strings. */
  tags: z.array(z.string().min(1)).default([]),
  ...httpClientShape(),
  ...exporterHelperShape(DEFAULT_TIMEOUT_MS),
});

export type DatadogConfig = z.output<typeof datadogConfigSchema>;

/** The intake URL: logs.endpoint + path, else https://http-intake.logs.<site>/api/v2/logs. */
export function datadogLogsUrl(config: Pick<DatadogConfig, 'api' | 'logs'>): string {
  const base = config.logs.endpoint ?? `https://http-intake.logs.${config.api.site}`;
  return base.replace(/\/+$/, '') + LOGS_PATH;
}
