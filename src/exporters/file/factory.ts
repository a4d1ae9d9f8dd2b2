import type { ExporterFactory } from '../../pipeline/factory.js';
import { createExporter } from '../helper/exporter.js';
import { fileConfigSchema, type FileConfig } from './config.js';
import { FileSender } from './sender.js';

export const fileExporterFactory: ExporterFactory<FileConfig> = {
  kind: 'exporter',
  type: 'file',
  schema: fileConfigSchema,
  create: (settings, config) => createExporter(settings, config, new FileSender(config, settings.logger.child({ exporter: settings.id }))),
};

export type { FileConfig } from './config.js';
export { FileSender } from './sender.js';
