import { z } from 'zod';
import { hostPortEndpoint, tlsServer } from '../../config/types.js';
import { maxConnections } from '../../net/config.js';

/**
 * `fluentforward` keys, the contrib receiver's (receiver/fluentforwardreceiver): `endpoint`, a TCP
 * `host:port` (contrib's default `localhost:8006`; Fluent Bit and Fluentd send to 24224 by
 * default, so most configs set it). `max_connections` is ours (src/net/connection-limit.ts), and so
 * is `tls` (the Collector's server block; Fluent Bit's `forward` output sends with `tls on`).
 */
export const DEFAULT_ENDPOINT = 'localhost:8006';

export const fluentforwardReceiverSchema = z.strictObject({
  endpoint: hostPortEndpoint(DEFAULT_ENDPOINT, '0.0.0.0:24224'),
  max_connections: maxConnections(),
  tls: tlsServer(),
});

export type FluentforwardReceiverConfig = z.output<typeof fluentforwardReceiverSchema>;
