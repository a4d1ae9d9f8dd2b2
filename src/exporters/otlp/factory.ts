import type { ExporterFactory } from '../../pipeline/factory.js';
import { createExporter } from '../helper/exporter.js';
import { otlpConfigSchema, type OtlpGrpcConfig } from './config.js';
import { OtlpGrpcLogsSender } from './sender.js';

/** `otlp` (alias `otlp_grpc`): OTLP/gRPC to any OTLP backend. */
export const otlpExporterFactory: ExporterFactory<OtlpGrpcConfig> = {
  kind: 'exporter',
  type: 'otlp',
  aliases: ['otlp_grpc'],
  schema: otlpConfigSchema,
  create(settings, config) {
    const sender = new OtlpGrpcLogsSender({ config, id: settings.id, logger: settings.logger.child({ exporter: settings.id }) });
    return createExporter(settings, config, sender);
  },
};
