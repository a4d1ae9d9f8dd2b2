import type { ExporterFactory } from '../../pipeline/factory.js';
import { createExporter } from '../helper/exporter.js';
import { createSignalExporter } from '../helper/signal-exporter.js';
import { EXPORT_PATHS } from '../../transport/grpc/signal-services.js';
import { otlpConfigSchema, type OtlpGrpcConfig } from './config.js';
import { OtlpGrpcLogsSender } from './sender.js';

/** `otlp` (alias `otlp_grpc`): OTLP/gRPC to any OTLP backend. */
export const otlpExporterFactory: ExporterFactory<OtlpGrpcConfig> = {
  kind: 'exporter',
  type: 'otlp',
  aliases: ['otlp_grpc'],
  schema: otlpConfigSchema,
  signals: ['logs', 'traces', 'metrics'],
  create(settings, config) {
    const sender = new OtlpGrpcLogsSender({ config, id: settings.id, logger: settings.logger.child({ exporter: settings.id }) });
    return createExporter(settings, config, sender);
  },
  createSignal(settings, config, signal) {
    const sender = new OtlpGrpcLogsSender({ config, path: EXPORT_PATHS[signal], id: settings.id, logger: settings.logger.child({ exporter: settings.id, data_type: signal }) });
    return createSignalExporter(settings, config, signal, sender);
  },
};
