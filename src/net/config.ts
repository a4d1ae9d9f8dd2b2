import { z } from 'zod';

/**
 * Config keys every listener shares. `max_connections` is ours (the Collector has no such key):
 * open connections one listener holds; over it new ones are closed at once and counted in
 * `gateway_server_refused_connections_total`. Unset: 4096, or half the fd limit when lower.
 */
export const maxConnections = () => z.number().int().positive().optional();
