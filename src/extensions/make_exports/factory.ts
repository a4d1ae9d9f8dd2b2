import type { ExtensionFactory } from '../../pipeline/factory.js';
import { makeExportsConfigSchema, type MakeExportsConfig } from './config.js';
import { MakeExportsExtension } from './extension.js';

export const makeExportsExtensionFactory: ExtensionFactory<MakeExportsConfig> = {
  kind: 'extension',
  type: 'make_exports',
  schema: makeExportsConfigSchema,
  create: (settings, config) => new MakeExportsExtension(settings, config),
};

export type { MakeExportsConfig } from './config.js';
export { MakeExportsExtension } from './extension.js';
