import type { ExtensionFactory } from '../../pipeline/factory.js';
import { fileStorageSchema, type FileStorageConfig } from './config.js';
import { FileStorageExtension } from './extension.js';

export type { FileStorageConfig } from './config.js';
export { FileStorageExtension } from './extension.js';

export const fileStorageExtensionFactory: ExtensionFactory<FileStorageConfig> = {
  kind: 'extension',
  type: 'file_storage',
  provides: ['storage'],
  schema: fileStorageSchema,
  create: (settings, config) => new FileStorageExtension(settings, config),
};
