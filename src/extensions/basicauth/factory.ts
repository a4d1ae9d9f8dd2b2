import type { ExtensionFactory } from '../../pipeline/factory.js';
import { basicAuthConfigSchema, type BasicAuthConfig } from './config.js';
import { BasicAuthExtension } from './extension.js';

/** `basicauth`: HTTP Basic auth for receivers (`htpasswd`) and exporters (`client_auth`). */
export const basicAuthExtensionFactory: ExtensionFactory<BasicAuthConfig> = {
  kind: 'extension',
  type: 'basicauth',
  provides: ['server_auth', 'client_auth'],
  schema: basicAuthConfigSchema,
  create: (settings, config) => new BasicAuthExtension(settings, config),
};
