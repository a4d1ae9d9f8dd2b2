import { z } from 'zod';
import { httpClientShape } from '../helper/http-client.js';
import { exporterHelperShape } from '../helper/config.js';

/**
 * The Collector contrib awscloudwatchlogs exporter's keys (its README): log_group_name,
 * log_stream_name, region, endpoint, log_retention, tags, role_arn, raw_log, with the AWS session
 * keys it shares with the other AWS components that make sense here (external_id for role_arn,
 * max_retries accepted for Collector configs: retries here are retry_on_failure's).
 */

/** The AWS SDK's default request timeout as the Collector's AWS components set it (30 s). */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** PutRetentionPolicy's allowed values (days), as the contrib README and the API list them. */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
/** CreateLogGroup's tag limits. */
export const MAX_TAGS = 50;
const TAG_KEY_RE = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$/u;
const TAG_VALUE_RE = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;
/** CreateLogGroup / CreateLogStream name rules. */
const LOG_GROUP_RE = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const LOG_STREAM_RE = /^[^:*]{1,512}$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** `logs.us-east-1.amazonaws.com` (the contrib README's form) or a full URL → a base URL. */
export function endpointUrl(endpoint: string): URL {
  return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`);
}

const endpointSchema = z.string().refine((v) => {
  try {
    const u = endpointUrl(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'expected a host like "logs.us-east-1.amazonaws.com" or an http(s):// URL');

const tagsSchema = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
  .superRefine((tags, ctx) => {
    const entries = Object.entries(tags);
    if (entries.length > MAX_TAGS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_TAGS} tags, got ${entries.length}` });
    for (const [k, v] of entries) {
      if (k.length < 1 || k.length > 128 || !TAG_KEY_RE.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: 'a tag key is 1-128 letters, digits, spaces or _.:/=+-@' });
      else if (k.toLowerCase().startsWith('aws:')) ctx.addIssue({ code: 'custom', path: [k], message: 'tag keys starting with "aws:" are reserved by AWS' });
      if (v.length > 256 || !TAG_VALUE_RE.test(v)) ctx.addIssue({ code: 'custom', path: [k], message: 'a tag value is 0-256 letters, digits, spaces or _.:/=+-@' });
    }
  });

const shape = {
  log_group_name: z.string({ error: 'log_group_name must be set' }).regex(LOG_GROUP_RE, 'expected 1-512 characters of letters, digits and ._-/#'),
  log_stream_name: z.string({ error: 'log_stream_name must be set' }).regex(LOG_STREAM_RE, 'expected 1-512 characters without ":" or "*"'),
  /** Else AWS_REGION, AWS_DEFAULT_REGION, the profile's region, or the region in `endpoint`. */
  region: z.string().regex(REGION_RE, 'expected an AWS region like "us-east-1"').optional(),
  endpoint: endpointSchema.optional(),
  /** Days; 0 = never expire. Applied only to log groups this exporter creates (as the Collector does). */
  log_retention: z
    .number()
    .int()
    .default(0)
    .refine((d) => d === 0 || (RETENTION_DAYS as readonly number[]).includes(d), `expected 0 (never expire) or one of ${RETENTION_DAYS.join(', ')}`),
  /** Tags of log groups this exporter creates. */
  tags: tagsSchema.optional(),
  role_arn: z.string().regex(/^arn:aws[a-z-]*:iam::\d+:role\/.+$/, 'expected an IAM role ARN like "arn:aws:iam::123456789012:role/name"').optional(),
  external_id: z.string().min(2).max(1224).optional(),
  /** Send the body as the message, not the JSON wrapper (needed for EMF). */
  raw_log: z.boolean().default(false),
  /** Accepted for Collector configs; retries here follow retry_on_failure. */
  max_retries: z.number().int().nonnegative().optional(),
  /** The AWS components' request timeout; used as `timeout` when that is not set. */
  request_timeout_seconds: z.number().int().positive().optional(),
  /** Accepted for Collector configs; concurrency here is sending_queue.num_consumers. */
  num_workers: z.number().int().positive().optional(),
  /** Skip EC2 instance metadata in the credential chain (running outside AWS). */
  local_mode: z.boolean().default(false),
  ...httpClientShape(),
  ...exporterHelperShape(DEFAULT_TIMEOUT_MS),
};

/** `request_timeout_seconds` stands in for `timeout` when only the former is given (Collector AWS configs). */
function timeoutFromAwsKey(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  if (v.timeout === undefined && typeof v.request_timeout_seconds === 'number') return { ...v, timeout: `${v.request_timeout_seconds}s` };
  return value;
}

export const cloudWatchLogsConfigSchema = z.preprocess(timeoutFromAwsKey, z.strictObject(shape));
/** The keys, for docs and tests. */
export const CONFIG_KEYS = Object.keys(shape);

export type CloudWatchLogsConfig = z.output<typeof cloudWatchLogsConfigSchema>;

/** The region inside an AWS endpoint host (`logs.eu-west-1.amazonaws.com`), if any. */
export function regionOfEndpoint(endpoint: string | undefined): string | undefined {
  if (!endpoint) return undefined;
  const m = /^logs(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/.exec(endpointUrl(endpoint).hostname);
  return m?.[1];
}

/** The service URL: `endpoint`, else AWS_ENDPOINT_URL_CLOUDWATCH_LOGS / AWS_ENDPOINT_URL, else regional. */
export function serviceUrl(endpoint: string | undefined, region: string, env: NodeJS.ProcessEnv): URL {
  const base = endpoint ?? (env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS || env.AWS_ENDPOINT_URL);
  if (base) return endpointUrl(base);
  return new URL(`https://logs.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}/`);
}
