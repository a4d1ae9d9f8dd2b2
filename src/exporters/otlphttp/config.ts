import { z } from 'zod';
import { clientAuth, headers, httpUrl } from '../../config/types.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { httpClientShape } from '../helper/http-client.js';
import { exporterHelperShape } from '../helper/config.js';
import type { Signal } from '../../pdata/signal.js';

/** The Collector otlphttp exporter's defaults: 30 s timeout, gzip, protobuf. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** OTLP/HTTP's logs path, appended to `endpoint` (not to `logs_endpoint`). */
export const LOGS_PATH = '/v1/logs';
/** OTLP/HTTP's path per signal, appended to `endpoint` (not to `<signal>_endpoint`). */
export const SIGNAL_PATHS: Record<Signal, string> = { logs: LOGS_PATH, traces: '/v1/traces', metrics: '/v1/metrics' };

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
    /** Full URL for traces; wins over `endpoint`. */
    traces_endpoint: httpUrl().optional(),
    /** Full URL for metrics; wins over `endpoint`. */
    metrics_endpoint: httpUrl().optional(),
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
    if (!c.endpoint && !c.logs_endpoint && !c.traces_endpoint && !c.metrics_endpoint) {
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'expected `endpoint` (base URL) or `logs_endpoint` / `traces_endpoint` / `metrics_endpoint` (full URL)' });
    }
  });

export type OtlpHttpConfig = z.output<typeof otlphttpConfigSchema>;

/** The URL requests go to: `logs_endpoint` as given, else `endpoint` + `/v1/logs` (as the Collector joins them). */
export function otlphttpLogsUrl(config: Pick<OtlpHttpConfig, 'endpoint' | 'logs_endpoint'>): URL {
  return otlphttpUrl(config, 'logs')!;
}

/**
 * A signal's URL: `<signal>_endpoint` as given, else `endpoint` + `/v1/<signal>`; undefined when
 * neither is set (the exporter then cannot serve that signal: a start error naming the key).
 */
export function otlphttpUrl(config: Partial<Pick<OtlpHttpConfig, 'endpoint' | 'logs_endpoint' | 'traces_endpoint' | 'metrics_endpoint'>>, signal: Signal): URL | undefined {
  const own = config[`${signal}_endpoint`];
  if (own) return new URL(own);
  if (!config.endpoint) return undefined;
  return new URL(config.endpoint.replace(/\/+$/, '') + SIGNAL_PATHS[signal]);
}
