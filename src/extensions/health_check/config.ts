import { z } from 'zod';
import { duration, listenEndpoint, tlsServer } from '../../config/types.js';
import { maxConnections } from '../../net/config.js';

/** The Collector's health_check port. */
export const DEFAULT_HEALTH_CHECK_PORT = 13133;

export const healthCheckConfigSchema = z.strictObject({
  endpoint: listenEndpoint(DEFAULT_HEALTH_CHECK_PORT),
  path: z.string().startsWith('/', 'must start with "/"').default('/'),
  /** confighttp's server `tls` block, as in the Collector's health_check. */
  tls: tlsServer(),
  max_connections: maxConnections(),
  /** Fixed bodies instead of the JSON status document (Collector key). */
  response_body: z.strictObject({ healthy: z.string().default(''), unhealthy: z.string().default('') }).optional(),
  /** Accepted for Collector configs; this gateway reports its own lifecycle state, not exporter failures. */
  check_collector_pipeline: z
    .strictObject({
      enabled: z.boolean().default(false),
      interval: duration().default(300_000),
      exporter_failure_threshold: z.number().int().positive().default(5),
    })
    .optional(),
});

export type HealthCheckConfig = z.output<typeof healthCheckConfigSchema>;
