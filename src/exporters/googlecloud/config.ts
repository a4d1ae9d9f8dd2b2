import { z } from 'zod';
import { httpClientShape } from '../helper/http-client.js';
import { exporterHelperShape, type ExporterHelperConfig } from '../helper/config.js';

/**
 * `exporters.googlecloud`: the Collector's googlecloud exporter keys that matter for logs. The
 * Collector speaks gRPC; we speak the documented REST API (`entries:write`), so `log.endpoint`
 * is a base URL (a bare `host:port` as Collector configs write it is read as https).
 */

/** The Collector's default log name, so existing log-based queries keep matching. */
export const DEFAULT_LOG_NAME = 'opentelemetry.io/collector-exported-log';
export const DEFAULT_LOGGING_ENDPOINT = 'https://logging.googleapis.com';
/** The Collector's googlecloud exporter default timeout. */
export const DEFAULT_TIMEOUT_MS = 12_000;

/** `https://host[:port]`, `http://host:port`, or the Collector's gRPC-style `host:port`. */
const endpointUrl = () =>
  z.string().transform((v, ctx) => {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `https://${v}`;
    try {
      const u = new URL(withScheme);
      if (u.protocol === 'http:' || u.protocol === 'https:') return withScheme.replace(/\/+$/, '');
    } catch {
      // fall through to the issue below
    }
    ctx.addIssue({ code: 'custom', message: `expected a base URL like "https://logging.googleapis.com", got ${JSON.stringify(v)}` });
    return z.NEVER;
  });

export const googleCloudSchema = z.strictObject({
  /** Project that receives the logs; else the credentials' project_id, else the metadata server's. */
  project: z.string().min(1).optional(),
  /** Service-account JSON key; else GOOGLE_APPLICATION_CREDENTIALS; else the GCE metadata server. */
  credentials_file: z.string().min(1).optional(),
  user_agent: z.string().default('make-otel-gateway'),
  log: z
    .strictObject({
      default_log_name: z.string().min(1).default(DEFAULT_LOG_NAME),
      endpoint: endpointUrl().default(DEFAULT_LOGGING_ENDPOINT),
      /** The Collector's switch for plaintext to an emulator; turns an https endpoint into http. */
      use_insecure: z.boolean().default(false),
      compression: z.enum(['gzip', 'none']).default('none'),
    })
    .prefault({}),
  /** Accepted so Collector configs that also configure metrics/traces load unchanged; unused here. */
  metric: z.record(z.string(), z.unknown()).optional(),
  trace: z.record(z.string(), z.unknown()).optional(),
  ...httpClientShape(),
  ...exporterHelperShape(DEFAULT_TIMEOUT_MS),
});

export type GoogleCloudConfig = z.output<typeof googleCloudSchema> & ExporterHelperConfig;
