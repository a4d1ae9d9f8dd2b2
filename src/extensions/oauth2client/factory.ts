import type { ExtensionFactory } from '../../pipeline/factory.js';
import { oauth2ClientConfigSchema, type OAuth2ClientConfig } from './config.js';
import { OAuth2ClientExtension } from './extension.js';

/** `oauth2client`: OAuth 2.0 client-credentials tokens for exporters. */
export const oauth2ClientExtensionFactory: ExtensionFactory<OAuth2ClientConfig> = {
  kind: 'extension',
  type: 'oauth2client',
  provides: ['client_auth'],
  schema: oauth2ClientConfigSchema,
  create: (settings, config) => new OAuth2ClientExtension(settings, config),
};
