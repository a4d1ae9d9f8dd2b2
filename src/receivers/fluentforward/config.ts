import { z } from 'zod';
import { parseHostPort, tlsServer } from '../../config/types.js';
import { maxConnections } from '../../net/config.js';

/**
 * `fluentforward` keys, the contrib receiver's (receiver/fluentforwardreceiver): `endpoint`, a TCP
 * `host:port` (contrib's default `localhost:8006`; Fluent Bit and Fluentd send to 24224 by
 * default, so most configs set it). `max_connections` is ours (src/net/connection-limit.ts), and so
 * is `tls` (the Collector's server block; Fluent Bit's `forward` output sends with `tls on`).
 */
export const DEFAULT_ENDPOINT = 'localhost:8006';

export const fluentforwardReceiverSchema = z.strictObject({
  endpoint: z
    .string()
    .default(DEFAULT_ENDPOINT)
    .transform((v, ctx) => {
      const parsed = parseHostPort(v);
      if (!parsed) {
        ctx.addIssue({ code: 'custom', message: `expected host:port like "0.0.0.0:24224", got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return parsed;
    }),
  max_connections: maxConnections(),
  tls: tlsServer(),
});

export type FluentforwardReceiverConfig = z.output<typeof fluentforwardReceiverSchema>;
