import { isIP } from 'node:net';
import { z } from 'zod';
import { hostPortEndpoint, tlsServer } from '../../config/types.js';
import { maxConnections } from '../../net/config.js';
import { corsSchema } from '../../net/cors.js';

/** The Collector's zpages port: the admin server takes its place. */
export const DEFAULT_ADMIN_PORT = 55679;
/** Loopback by default: the admin API can replay and delete data, so it is not on the network unless asked. */
export const DEFAULT_ADMIN_ENDPOINT = `localhost:${DEFAULT_ADMIN_PORT}`;

/** Whether a listen host is reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}

export const adminConfigSchema = z
  .strictObject({
    endpoint: hostPortEndpoint(DEFAULT_ADMIN_ENDPOINT),
    /** A server authenticator extension (bearertokenauth, basicauth with htpasswd), as receivers name theirs. */
    auth: z.strictObject({ authenticator: z.string().min(1) }).optional(),
    tls: tlsServer(),
    /** confighttp's server `cors` block, as on the OTLP/HTTP receiver. */
    cors: corsSchema,
    max_connections: maxConnections(),
  })
  .superRefine((c, ctx) => {
    if (c.auth === undefined && !isLoopbackHost(c.endpoint.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message: `required when the endpoint is not loopback (${c.endpoint.host}): set auth.authenticator to a bearertokenauth or basicauth extension, or listen on localhost`,
      });
    }
  });

export type AdminConfig = z.output<typeof adminConfigSchema>;
