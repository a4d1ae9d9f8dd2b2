import { z } from 'zod';
import { httpUrl } from '../../config/types.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { httpClientShape } from '../helper/http-client.js';
import { exporterHelperShape } from '../helper/config.js';
import type { Signal } from '../../pdata/signal.js';
import { SIGNAL_PATHS } from '../otlphttp/config.js';

/** New Relic's native OTLP endpoints, per data region (New Relic "OTLP endpoint" docs). */
export const REGION_ENDPOINTS = {
  us: 'https://otlp.nr-data.net',
  eu: 'https://otlp.eu01.nr-data.net',
  fedramp: 'https://gov-otlp.nr-data.net',
} as const;
export type Region = keyof typeof REGION_ENDPOINTS;
export const DEFAULT_REGION: Region = 'us';
export const LOGS_PATH = '/v1/logs';
/** The Collector otlphttp exporter's timeout default (New Relic recommends that exporter). */
export const DEFAULT_TIMEOUT_MS = 30_000;

export const newrelicConfigSchema = z.strictObject({
  /** A New Relic license (ingest) key, sent as the `api-key` header. */
  api_key: z
    .string()
    .min(1, 'expected a New Relic license key')
    .transform((v) => {
      registerSecret(v);
      return v;
    }),
  region: z.enum(Object.keys(REGION_ENDPOINTS) as [Region, ...Region[]]).default(DEFAULT_REGION),
  /** A base URL (scheme, host, port); `/v1/logs` is appended. Overrides region. */
  endpoint: httpUrl().optional(),
  compression: z.enum(['gzip', 'none']).default('gzip'),
  ...httpClientShape(),
  ...exporterHelperShape(DEFAULT_TIMEOUT_MS),
});

export type NewRelicConfig = z.output<typeof newrelicConfigSchema>;

export function newrelicLogsUrl(config: Pick<NewRelicConfig, 'region' | 'endpoint'>): string {
  return newrelicUrl(config, 'logs');
}

/** New Relic's OTLP endpoint takes every signal at the OTLP/HTTP paths (`/v1/logs`, `/v1/traces`, `/v1/metrics`). */
export function newrelicUrl(config: Pick<NewRelicConfig, 'region' | 'endpoint'>, signal: Signal): string {
  const base = config.endpoint ?? REGION_ENDPOINTS[config.region];
  return base.replace(/\/+$/, '') + SIGNAL_PATHS[signal];
}
