import type { ExporterFactory } from '../../pipeline/factory.js';
import { createExporter } from '../helper/exporter.js';
import { otlphttpConfigSchema, type OtlpHttpConfig } from './config.js';
import { OtlpHttpLogsSender } from './sender.js';

/** `otlphttp` (alias `otlp_http`): OTLP/HTTP to any OTLP backend, protobuf or JSON. */
export const otlphttpExporterFactory: ExporterFactory<OtlpHttpConfig> = {
  kind: 'exporter',
  type: 'otlphttp',
  aliases: ['otlp_http'],
  schema: otlphttpConfigSchema,
  create(settings, config) {
    const sender = new OtlpHttpLogsSender({ config, id: settings.id, logger: settings.logger.child({ exporter: settings.id }) });
    return createExporter(settings, config, sender);
  },
};
