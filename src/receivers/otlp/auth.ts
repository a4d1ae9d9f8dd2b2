import { GatewayError } from '../../errors.js';
import type { Host } from '../../pipeline/component.js';

/**
 * `auth.authenticator` names an extension that checks request headers (the Collector's server
 * authenticator). The contract is deliberately one method: headers in, yes/no out. It may return
 * a promise, so an extension can look up keys asynchronously.
 */
export type RequestHeaders = Record<string, string | string[] | undefined>;

export interface ServerAuthenticator {
  authenticate(headers: RequestHeaders): boolean | Promise<boolean>;
}

function isAuthenticator(x: unknown): x is ServerAuthenticator {
  return typeof x === 'object' && x !== null && typeof (x as { authenticate?: unknown }).authenticate === 'function';
}

/** Finds the named extension at start; a missing or unsuitable one fails the start, not the first request. */
export function resolveAuthenticator(host: Host, extensionId: string, receiverId: string, protocol: string): ServerAuthenticator {
  const ext = host.getExtension(extensionId);
  if (ext === undefined) {
    throw new GatewayError(
      'COMPONENT_START_FAILED',
      `receivers.${receiverId}.protocols.${protocol}.auth.authenticator: extension "${extensionId}" is not configured (add it under extensions and service.extensions)`,
    );
  }
  if (!isAuthenticator(ext)) {
    throw new GatewayError(
      'COMPONENT_START_FAILED',
      `receivers.${receiverId}.protocols.${protocol}.auth.authenticator: extension "${extensionId}" is not an authenticator (it has no authenticate(headers) method)`,
    );
  }
  return ext;
}

/** Runs the check; an authenticator that throws refuses the request (fail closed). */
export async function isAuthenticated(auth: ServerAuthenticator | undefined, headers: RequestHeaders): Promise<boolean> {
  if (!auth) return true;
  try {
    return (await auth.authenticate(headers)) === true;
  } catch {
    return false;
  }
}
