import { z } from 'zod';
import { byteSize, duration, httpUrl } from '../../config/types.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { secretHeaders } from '../otlphttp/config.js';
import { httpClientShape } from '../helper/http-client.js';
import { exporterHelperShape } from '../helper/config.js';

/**
 * The Collector contrib elasticsearch exporter's keys (its README), logs only. Where the
 * Collector's own bulk indexer and this gateway's exporter helper overlap (`retry` timing,
 * `num_workers`, `flush.interval`, `batcher`), the helper's `retry_on_failure`, `sending_queue`
 * and `sending_queue.batch` do the work; the Collector keys are accepted so its configs load
 * (docs/elasticsearch.md lists what each one does here).
 */

/** The Collector's default: a bulk request may wait for a slow cluster. */
export const DEFAULT_TIMEOUT_MS = 90_000;
/** `flush.bytes`: the Collector's default bulk request size (uncompressed). */
export const DEFAULT_FLUSH_BYTES = 5_000_000;
/**
 * Item statuses retried alone. The Collector defaults to [429] because it indexes without ids and
 * a retried 5xx may duplicate; our documents from Make carry ids (a retried item is refused as a
 * 409 conflict or overwrites), and the issue asks for 5xx items to be retried, so 5xx is in too.
 */
export const DEFAULT_RETRY_ON_STATUS = [429, 500, 502, 503, 504];

export const MAPPING_MODES = ['otel', 'ecs', 'bodymap', 'raw', 'none'] as const;
export type MappingMode = (typeof MAPPING_MODES)[number];

const secret = (what: string) =>
  z
    .string()
    .min(1, `expected a non-empty ${what}`)
    .transform((v) => {
      registerSecret(v);
      return v;
    });

const enabledFlag = (byDefault: boolean) => z.strictObject({ enabled: z.boolean().default(byDefault) }).prefault({});

export const elasticsearchConfigSchema = z
  .strictObject({
    endpoint: httpUrl().optional(),
    endpoints: z.array(httpUrl()).min(1).optional(),
    /** Elastic Cloud id `name:base64(host$es-uuid$kibana-uuid)`. */
    cloudid: z.string().min(1).optional(),
    /** Absent: documents go to data streams named from `data_stream.*` attributes (see docs). */
    logs_index: z.string().min(1).optional(),
    /** DEPRECATED in the Collector; the same as `logs_index`. */
    index: z.string().min(1).optional(),
    logs_dynamic_index: enabledFlag(false),
    logs_dynamic_id: enabledFlag(false),
    logs_dynamic_pipeline: enabledFlag(false),
    logstash_format: z
      .strictObject({
        enabled: z.boolean().default(false),
        prefix_separator: z.string().default('-'),
        date_format: z.string().default('%Y.%m.%d'),
      })
      .prefault({}),
    pipeline: z.string().min(1).optional(),
    mapping: z
      .strictObject({
        mode: z.enum(MAPPING_MODES).default('otel'),
        allowed_modes: z.array(z.enum(MAPPING_MODES)).optional(),
        /** Accepted for Collector configs: deprecated there, no effect here. */
        dedup: z.boolean().optional(),
        dedot: z.boolean().optional(),
      })
      .prefault({}),
    /** A client authenticator extension (`basicauth`, `bearertokenauth`) whose header every request carries. */
    auth: z.strictObject({ authenticator: z.string().min(1) }).optional(),
    user: z.string().min(1).optional(),
    password: secret('password').optional(),
    api_key: secret('API key').optional(),
    compression: z
      .enum(['gzip', 'none', ''])
      .default('gzip')
      .transform((c) => (c === '' ? 'none' : c)),
    compression_params: z.strictObject({ level: z.number().int().min(1).max(9).default(1) }).prefault({}),
    flush: z
      .strictObject({
        /** Largest bulk request body before compression; a queued request is split to fit. */
        bytes: byteSize().default(DEFAULT_FLUSH_BYTES),
        /** Accepted: requests leave as soon as the queue hands them over (batch with sending_queue.batch). */
        interval: duration().optional(),
      })
      .prefault({}),
    retry: z
      .strictObject({
        /** false: a request or item is never retried (retry_on_failure.enabled: false). */
        enabled: z.boolean().default(true),
        /** Accepted; retry timing is retry_on_failure's. */
        max_requests: z.number().int().nonnegative().optional(),
        max_retries: z.number().int().nonnegative().optional(),
        initial_interval: duration().optional(),
        max_interval: duration().optional(),
        retry_on_status: z.array(z.number().int().min(100).max(599)).default(DEFAULT_RETRY_ON_STATUS),
      })
      .prefault({}),
    /** Accepted for Collector configs: concurrency is sending_queue.num_consumers. */
    num_workers: z.number().int().nonnegative().optional(),
    /** Accepted for Collector configs: requests go to the configured endpoints only. */
    discover: z.strictObject({ on_start: z.boolean().optional(), interval: duration().optional() }).optional(),
    include_source_on_error: z.boolean().optional(),
    headers: secretHeaders(),
    ...httpClientShape(),
    ...exporterHelperShape(DEFAULT_TIMEOUT_MS),
  })
  .superRefine((c, ctx) => {
    const given = [c.endpoint, c.endpoints, c.cloudid].filter((v) => v !== undefined).length;
    if (given > 1) ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'set only one of endpoint, endpoints and cloudid' });
    if (given === 0 && !process.env.ELASTICSEARCH_URL) {
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'expected endpoint, endpoints or cloudid (or the ELASTICSEARCH_URL environment variable)' });
    }
    if (c.cloudid !== undefined && cloudIdUrl(c.cloudid) === undefined) {
      ctx.addIssue({ code: 'custom', path: ['cloudid'], message: 'expected an Elastic Cloud id like "name:base64(host$es-uuid$kibana-uuid)"' });
    }
    if (c.api_key && (c.user || c.password)) ctx.addIssue({ code: 'custom', path: ['api_key'], message: 'set either api_key or user/password, not both' });
    if (c.auth && (c.api_key || c.user)) ctx.addIssue({ code: 'custom', path: ['auth'], message: 'set either auth.authenticator or api_key / user+password, not both' });
    if (c.password && !c.user) ctx.addIssue({ code: 'custom', path: ['user'], message: 'password needs a user' });
    if (c.mapping.allowed_modes && !c.mapping.allowed_modes.includes(c.mapping.mode)) {
      ctx.addIssue({ code: 'custom', path: ['mapping', 'mode'], message: `mode "${c.mapping.mode}" is not in mapping.allowed_modes` });
    }
  });

export type ElasticsearchConfig = z.output<typeof elasticsearchConfigSchema>;

/** `name:base64("host$es-uuid$kibana-uuid")` → https://es-uuid.host (port 443 unless the host has one). */
export function cloudIdUrl(cloudId: string): string | undefined {
  const encoded = cloudId.slice(cloudId.lastIndexOf(':') + 1);
  const [host, esUuid] = Buffer.from(encoded, 'base64').toString('utf8').split('$');
  if (!host || !esUuid) return undefined;
  const [hostname, port] = host.split(':');
  return `https://${esUuid}.${hostname}${port ? `:${port}` : ''}`;
}

/** Base URLs to try, in round-robin order. */
export function elasticsearchUrls(config: Pick<ElasticsearchConfig, 'endpoint' | 'endpoints' | 'cloudid'>): string[] {
  if (config.endpoint) return [config.endpoint];
  if (config.endpoints) return config.endpoints;
  if (config.cloudid) return [cloudIdUrl(config.cloudid)!];
  return (process.env.ELASTICSEARCH_URL ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
