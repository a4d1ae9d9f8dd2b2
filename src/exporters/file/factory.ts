import { ConfigError } from '../../errors.js';
import type { ExporterFactory } from '../../pipeline/factory.js';
import type { Logger } from '../../telemetry/logger.js';
import { createExporter } from '../helper/exporter.js';
import type { LogsSender } from '../helper/sender.js';
import { createSignalExporter } from '../helper/signal-exporter.js';
import { fileConfigSchema, type FileConfig } from './config.js';
import { FileSender } from './sender.js';

export const fileExporterFactory: ExporterFactory<FileConfig> = {
  kind: 'exporter',
  type: 'file',
  schema: fileConfigSchema,
  signals: ['logs', 'traces', 'metrics'],
  create: (settings, config) => createExporter(settings, config, sharedFileSender(config, settings.logger.child({ exporter: settings.id }))),
  createSignal(settings, config, signal) {
    if (config.format === 'csv' || config.format === 'parquet') {
      throw new ConfigError(`exporters.${settings.id}.format: format ${config.format} holds log records only; use format json or proto in a ${signal} pipeline`);
    }
    return createSignalExporter(settings, config, signal, sharedFileSender(config, settings.logger.child({ exporter: settings.id, data_type: signal })));
  },
};

/**
 * One writer per file path, shared by the exporter's logs, traces and metrics sides (as the
 * Collector's file exporter shares one writer): two handles on one path would truncate each
 * other's file at open and rotate it twice. Started by the first side, closed by the last.
 */
const writers = new Map<string, { sender: FileSender; users: number; started?: Promise<void> }>();

function sharedFileSender(config: FileConfig, logger: Logger): LogsSender {
  let entry = writers.get(config.path);
  if (!entry) writers.set(config.path, (entry = { sender: new FileSender(config, logger), users: 0 }));
  const shared = entry;
  let open = false;
  return {
    start() {
      if (!open) {
        open = true;
        shared.users++;
        shared.started ??= shared.sender.start();
      }
      return shared.started!;
    },
    send: (request, signal) => shared.sender.send(request, signal),
    async shutdown() {
      if (!open) return;
      open = false;
      if (--shared.users > 0) return;
      if (writers.get(config.path) === shared) writers.delete(config.path);
      await shared.sender.shutdown();
    },
  };
}

export type { FileConfig } from './config.js';
export { FileSender } from './sender.js';
