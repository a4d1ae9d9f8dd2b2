import type { ExporterFactory } from '../../pipeline/factory.js';
import { createExporter } from '../helper/exporter.js';
import { createSignalExporter } from '../helper/signal-exporter.js';
import { otlphttpConfigSchema, type OtlpHttpConfig } from './config.js';
import { OtlpHttpLogsSender } from './sender.js';

/** `otlphttp` (alias `otlp_http`): OTLP/HTTP to any OTLP backend, protobuf or JSON. */
export const otlphttpExporterFactory: ExporterFactory<OtlpHttpConfig> = {
  kind: 'exporter',
  type: 'otlphttp',
  aliases: ['otlp_http'],
  schema: otlphttpConfigSchema,
  signals: ['logs', 'traces', 'metrics'],
  create(settings, config) {
    const sender = new OtlpHttpLogsSender({ config, id: settings.id, logger: settings.logger.child({ exporter: settings.id }) });
    return createExporter(settings, config, sender);
  },
  createSignal(settings, config, signal) {
    const sender = new OtlpHttpLogsSender({ config, signal, id: settings.id, logger: settings.logger.child({ exporter: settings.id, data_type: signal }) });
    return createSignalExporter(settings, config, signal, sender);
  },
};
