import { GatewayError } from '../errors.js';
import type { Host } from '../pipeline/component.js';

/**
 * The exporter side of `auth.authenticator` (the Collector's client authenticator): an extension
 * that adds credentials to each outgoing request. Exporters ask for headers right before a send,
 * so an extension can refresh a token; they report a 401 so it can drop what the backend refused.
 * gRPC exporters send the same headers as metadata.
 */
export interface ClientAuthenticator {
  /**
   * The headers for one outgoing request: the exporter's own `headers` with the credentials added
   * (or, for headers_setter, its rules applied). May fetch a token; rejects with a TokenError
   * (src/exporters/helper/token-cache.ts) that says whether retrying can help.
   */
  clientHeaders(own: Record<string, string>, signal?: AbortSignal): Record<string, string> | Promise<Record<string, string>>;
  /** The backend answered 401 to a request that carried `sent`: forget those credentials. */
  unauthorized?(sent: Record<string, string>): void;
}

export function isClientAuthenticator(x: unknown): x is ClientAuthenticator {
  return typeof (x as { clientHeaders?: unknown } | null)?.clientHeaders === 'function';
}

/** Finds the named extension at start; a missing or unsuitable one fails the start, not the first send. */
export function resolveClientAuthenticator(host: Host, extensionId: string, where: string): ClientAuthenticator {
  const ext = host.getExtension(extensionId);
  if (ext === undefined) {
    throw new GatewayError('COMPONENT_START_FAILED', `${where}: extension "${extensionId}" is not configured (add it under extensions and service.extensions)`);
  }
  if (!isClientAuthenticator(ext)) {
    throw new GatewayError('COMPONENT_START_FAILED', `${where}: extension "${extensionId}" cannot authenticate outgoing requests (use bearertokenauth, basicauth with client_auth, oauth2client or headers_setter)`);
  }
  return ext;
}

/**
 * One send with client auth: `call` gets the headers to use. A 401 drops the credentials the
 * extension handed out and the call is made once more with fresh ones (a token revoked or expired
 * early); a second 401 is the caller's to classify.
 */
export async function sendWithClientAuth<R extends { status: number }>(
  auth: ClientAuthenticator | undefined,
  own: Record<string, string>,
  signal: AbortSignal,
  call: (headers: Record<string, string>) => Promise<R>,
): Promise<R> {
  if (!auth) return call(own);
  const first = await auth.clientHeaders(own, signal);
  const res = await call(first);
  if (res.status !== 401 || !auth.unauthorized) return res;
  auth.unauthorized(first);
  return call(await auth.clientHeaders(own, signal));
}
