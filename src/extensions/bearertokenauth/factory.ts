import type { ExtensionFactory } from '../../pipeline/factory.js';
import { bearerTokenAuthConfigSchema, type BearerTokenAuthConfig } from './config.js';
import { BearerTokenAuthExtension } from './extension.js';

export const bearerTokenAuthExtensionFactory: ExtensionFactory<BearerTokenAuthConfig> = {
  kind: 'extension',
  type: 'bearertokenauth',
  provides: ['server_auth', 'client_auth'],
  schema: bearerTokenAuthConfigSchema,
  create: (settings, config) => new BearerTokenAuthExtension(settings, config),
};

/** What the otlp receiver checks before calling `authenticate` on `auth.authenticator`. */
export function isServerAuthenticator(x: unknown): x is { authenticate(headers: Record<string, string | string[] | undefined>): boolean } {
  return typeof (x as { authenticate?: unknown } | null)?.authenticate === 'function';
}

export type { BearerTokenAuthConfig } from './config.js';
export { BearerTokenAuthExtension, type ServerAuthenticator } from './extension.js';
