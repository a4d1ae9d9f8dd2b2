import { Registry } from './pipeline/registry.js';
import type { AnyFactory } from './pipeline/factory.js';

/** Every component type the gateway ships. Adding a component = one line here. */
export const factories: AnyFactory[] = [];

export const defaultRegistry = new Registry(factories);
