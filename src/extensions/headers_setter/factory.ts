import type { ExtensionFactory } from '../../pipeline/factory.js';
import { headersSetterConfigSchema, type HeadersSetterConfig } from './config.js';
import { HeadersSetterExtension } from './extension.js';

/** `headers_setter`: fixed headers on exporters' outgoing requests. */
export const headersSetterExtensionFactory: ExtensionFactory<HeadersSetterConfig> = {
  kind: 'extension',
  type: 'headers_setter',
  provides: ['client_auth'],
  schema: headersSetterConfigSchema,
  create: (settings, config) => new HeadersSetterExtension(settings, config),
};
