import type { ExtensionFactory } from '../../pipeline/factory.js';
import { adminConfigSchema, type AdminConfig } from './config.js';
import { AdminExtension } from './extension.js';

/** `admin`: the control plane (API, MCP over HTTP, live tail, status page) on one server. */
export const adminExtensionFactory: ExtensionFactory<AdminConfig> = {
  kind: 'extension',
  type: 'admin',
  schema: adminConfigSchema,
  create: (settings, config) => new AdminExtension(settings, config),
};

export type { AdminConfig } from './config.js';
export { AdminExtension } from './extension.js';
