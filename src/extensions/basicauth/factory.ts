import type { ExtensionFactory } from '../../pipeline/factory.js';
import type { Component } from '../../pipeline/component.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { basicAuthConfigSchema, type BasicAuthConfig } from './config.js';

/** A client authenticator: headers an exporter adds to every request it sends. */
export interface ClientAuthenticator {
  clientHeaders(): Record<string, string>;
}

export function isClientAuthenticator(x: unknown): x is ClientAuthenticator {
  return typeof (x as { clientHeaders?: unknown } | null)?.clientHeaders === 'function';
}

/** `basicauth` (client side): `Authorization: Basic base64(username:password)`. */
export const basicAuthExtensionFactory: ExtensionFactory<BasicAuthConfig> = {
  kind: 'extension',
  type: 'basicauth',
  schema: basicAuthConfigSchema,
  create(_settings, config): Component & ClientAuthenticator {
    const { username, password } = config.client_auth!;
    const token = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
    // The encoded form is as secret as the password: a backend echoing the header must not leak it.
    registerSecret(password);
    registerSecret(token);
    return {
      async start() {},
      async shutdown() {},
      clientHeaders: () => ({ Authorization: `Basic ${token}` }),
    };
  },
};
