import { z } from 'zod';
import { clientAuth, headers, httpUrl } from '../../config/types.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { httpClientShape } from '../helper/http-client.js';
import { exporterHelperShape } from '../helper/config.js';

/** The Collector otlphttp exporter's defaults: 30 s timeout, gzip, protobuf. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** OTLP/HTTP's logs path, appended to `endpoint` (not to `logs_endpoint`). */
export const LOGS_PATH = '/v1/logs';

/** Header values are opaque in the Collector (they usually carry API keys): treat every one as a secret. */
export const secretHeaders = () =>
  headers().transform((h) => {
    for (const value of Object.values(h)) registerSecret(value);
    return h;
  });

export const otlphttpConfigSchema = z
  .strictObject({
    /** Base URL; `/v1/logs` is appended. */
    endpoint: httpUrl().optional(),
    /** Full URL for logs; wins over `endpoint`. */
    logs_endpoint: httpUrl().optional(),
    /** The profiles signal's URL: accepted (Collector configs set it), unused: the gateway carries no profiles. */
    profiles_endpoint: httpUrl().optional(),
    headers: secretHeaders(),
    // "" is the Collector's spelling of "no compression" too.
    compression: z
      .enum(['gzip', 'zstd', 'none', ''])
      .default('gzip')
      .transform((c) => (c === '' ? 'none' : c)),
    encoding: z.enum(['proto', 'json']).default('proto'),
    ...httpClientShape(),
    /** A client authenticator extension (bearertokenauth, basicauth, oauth2client, headers_setter). */
    auth: clientAuth(),
    ...exporterHelperShape(DEFAULT_TIMEOUT_MS),
  })
  .superRefine((c, ctx) => {
    if (!c.endpoint && !c.logs_endpoint) {
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'expected `endpoint` (base URL) or `logs_endpoint` (full URL)' });
    }
  });

export type OtlpHttpConfig = z.output<typeof otlphttpConfigSchema>;

/** The URL requests go to: `logs_endpoint` as given, else `endpoint` + `/v1/logs` (as the Collector joins them). */
export function otlphttpLogsUrl(config: Pick<OtlpHttpConfig, 'endpoint' | 'logs_endpoint'>): URL {
  if (config.logs_endpoint) return new URL(config.logs_endpoint);
  return new URL(config.endpoint!.replace(/\/+$/, '') + LOGS_PATH);
}
