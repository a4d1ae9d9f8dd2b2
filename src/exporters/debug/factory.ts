import type { ExporterFactory } from '../../pipeline/factory.js';
import { createExporter } from '../helper/exporter.js';
import { createSignalExporter } from '../helper/signal-exporter.js';
import { debugConfigSchema, type DebugConfig } from './config.js';
import { DebugSender } from './sender.js';

export const debugExporterFactory: ExporterFactory<DebugConfig> = {
  kind: 'exporter',
  type: 'debug',
  schema: debugConfigSchema,
  signals: ['logs', 'traces', 'metrics'],
  create: (settings, config) =>
    createExporter(settings, config, new DebugSender(settings, config, config.use_internal_logger || config.output_paths?.[0] === 'stderr' ? process.stderr : process.stdout)),
  createSignal: (settings, config, signal) =>
    createSignalExporter(settings, config, signal, new DebugSender(settings, config, config.use_internal_logger || config.output_paths?.[0] === 'stderr' ? process.stderr : process.stdout)),
};

export type { DebugConfig } from './config.js';
export { DebugSender } from './sender.js';
