import type { ExtensionFactory } from '../../pipeline/factory.js';
import { healthCheckConfigSchema, type HealthCheckConfig } from './config.js';
import { HealthCheckExtension } from './extension.js';

export const healthCheckExtensionFactory: ExtensionFactory<HealthCheckConfig> = {
  kind: 'extension',
  type: 'health_check',
  schema: healthCheckConfigSchema,
  create: (settings, config) => new HealthCheckExtension(settings, config),
};

/** How the pipeline finds the extension to report its state to. */
export function isHealthCheckExtension(x: unknown): x is HealthCheckExtension {
  return x instanceof HealthCheckExtension;
}

export type { HealthCheckConfig } from './config.js';
export { HealthCheckExtension, type GatewayState } from './extension.js';
