import type { IncomingHttpHeaders } from 'node:http';

/**
 * What a receiver knew about the client that sent a request (the Collector's `client.Info`):
 * its address, and with the receiver's `include_metadata: true` the request's headers (HTTP) or
 * metadata (gRPC), keys lower-cased. Processors read it through `from_context`
 * (attributes/resource: `metadata.<key>`, `client.address`); an exporter whose headers_setter takes
 * a header `from_context` carries the values it needs through the queue (request-context.ts).
 */
export interface ClientInfo {
  readonly address?: string;
  readonly metadata?: ReadonlyMap<string, readonly string[]>;
}

/** Headers that are connection plumbing, not metadata a processor or exporter may forward. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'content-length']);

/** Request headers (node:http or gRPC's) as client metadata; HTTP/2 pseudo-headers are left out. */
export function metadataFromHeaders(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':')) continue;
    const key = name.toLowerCase();
    if (HOP_BY_HOP.has(key)) continue;
    out.set(key, Array.isArray(value) ? value.map(String) : [String(value)]);
  }
  return out;
}

/**
 * One value of the client info by the Collector's `from_context` names: `metadata.<key>` (several
 * values joined with `;`, as the Collector's attraction does), `client.address`. Anything else, or
 * a key the client did not send, is undefined: the action then falls back to `default_value`.
 */
export function contextValue(client: ClientInfo | undefined, name: string): string | undefined {
  if (!client) return undefined;
  if (name === 'client.address') return client.address;
  if (name.startsWith('metadata.')) {
    const values = client.metadata?.get(name.slice('metadata.'.length).toLowerCase());
    return values && values.length > 0 ? values.join(';') : undefined;
  }
  return undefined;
}

/** `from_context` names a processor can read; `auth.*` needs authenticator attributes we do not keep. */
export function isContextName(name: string): boolean {
  return name === 'client.address' || (name.startsWith('metadata.') && name.length > 'metadata.'.length);
}
