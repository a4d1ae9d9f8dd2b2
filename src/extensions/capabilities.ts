import { GatewayError } from '../errors.js';
import type { Component, Host } from '../pipeline/component.js';
import type { ExtensionCapability } from '../pipeline/factory.js';

/**
 * Capabilities by interface (docs/architecture.md §5): an extension instance lists what it
 * provides (`provides`, the same words as its factory's, checked at validate time by
 * config/references.ts), and a component asks for one by id and capability instead of testing
 * shapes. The type parameter names the capability's interface, e.g.
 * `extensionAs<StorageExtension>(host, id, 'storage', where)`.
 */
export function extensionAs<T>(host: Host, id: string, capability: ExtensionCapability, where: string): T {
  const extension = host.getExtension(id);
  if (!extension) throw new GatewayError('COMPONENT_START_FAILED', `${where}: extension "${id}" is not configured (add it under extensions and service.extensions)`);
  if (!provides(extension, capability)) throw new GatewayError('COMPONENT_START_FAILED', `${where}: extension "${id}" is not a ${capability} extension (it does not provide "${capability}")`);
  return extension as T;
}

/** Whether a started extension declares `capability`. */
export function provides(extension: Component | undefined, capability: ExtensionCapability): boolean {
  const list = (extension as { provides?: unknown } | undefined)?.provides;
  return Array.isArray(list) && list.includes(capability);
}
