import { readFileSync } from 'node:fs';
import { parseHostPort, type HostPort } from '../config/types.js';
import type { GatewayConfig } from '../config/validate.js';

/** Where a CLI finds the running gateway's admin API, and what to send to be let in. */
export interface AdminEndpoint {
  /** `http://host:port` or `https://host:port`. */
  baseUrl: string;
  /** The auth header the admin extension's authenticator expects, if it has one. */
  headers: Record<string, string>;
  /** The CA file to trust for an https endpoint (the admin `tls.ca_file`), if configured. */
  caFile?: string;
}

/** The admin extension's default endpoint (the Collector's zpages port). */
export const DEFAULT_ADMIN_ENDPOINT = 'localhost:55679';

/**
 * Reads the admin extension's block (`endpoint`, `auth.authenticator`, `tls`) from a validated
 * config and the bearer token from the authenticator it names (`token`, the first of `tokens`,
 * or the first line of `filename`). Throws with a message a person can act on.
 */
export function adminEndpointOf(config: GatewayConfig): AdminEndpoint {
  const id = config.service.extensions.find((e) => e.split('/')[0] === 'admin');
  if (id === undefined) throw new Error('the configuration has no admin extension in service.extensions: add `extensions: { admin: {} }` and list it there');
  const admin = (config.extensions.get(id)?.config ?? {}) as { endpoint?: string | HostPort; auth?: { authenticator?: string }; tls?: Record<string, unknown> };
  const raw = admin.endpoint ?? DEFAULT_ADMIN_ENDPOINT;
  const endpoint = typeof raw === 'string' ? parseHostPort(raw.replace(/^(https?:)?\/\//, '')) : raw;
  if (endpoint === undefined) throw new Error(`extensions.${id}.endpoint: expected host:port, got ${JSON.stringify(raw)}`);
  const tls = admin.tls !== undefined && admin.tls !== null;
  // A server bound to every interface is reached on loopback from the same machine.
  const host = endpoint.host === '0.0.0.0' || endpoint.host === '' ? '127.0.0.1' : endpoint.host === '::' ? '::1' : endpoint.host;
  const out: AdminEndpoint = { baseUrl: `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${endpoint.port}`, headers: {} };
  if (tls && typeof admin.tls?.ca_file === 'string') out.caFile = admin.tls.ca_file;
  const authId = admin.auth?.authenticator;
  if (authId !== undefined) {
    const auth = (config.extensions.get(authId)?.config ?? {}) as { scheme?: string; header?: string; token?: string; tokens?: string[]; filename?: string };
    const token = auth.filename !== undefined ? readFileSync(auth.filename, 'utf8').split('\n')[0]!.trim() : (auth.token ?? auth.tokens?.[0]);
    if (token === undefined) throw new Error(`extensions.${authId}: no token to send to the admin API`);
    const scheme = auth.scheme ?? 'Bearer';
    out.headers[auth.header ?? 'Authorization'] = scheme === '' ? token : `${scheme} ${token}`;
  }
  return out;
}
