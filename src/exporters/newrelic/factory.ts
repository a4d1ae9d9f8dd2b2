import type { ExporterFactory } from '../../pipeline/factory.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { createExporter } from '../helper/exporter.js';
import { createSignalExporter } from '../helper/signal-exporter.js';
import { newrelicConfigSchema, type NewRelicConfig } from './config.js';
import { NewRelicLogsSender } from './sender.js';

/** `newrelic`: OTLP/HTTP protobuf to New Relic's native OTLP endpoint (docs/newrelic.md). */
export const newrelicExporterFactory: ExporterFactory<NewRelicConfig> = {
  kind: 'exporter',
  type: 'newrelic',
  schema: newrelicConfigSchema,
  signals: ['logs', 'traces', 'metrics'],
  create(settings, config) {
    // The schema registers it too; a config built in code must not leak it either.
    registerSecret(config.api_key);
    const sender = new NewRelicLogsSender({ config, id: settings.id, logger: settings.logger.child({ exporter: settings.id }) });
    return createExporter(settings, config, sender);
  },
  createSignal(settings, config, signal) {
    registerSecret(config.api_key);
    const sender = new NewRelicLogsSender({ config, signal, id: settings.id, logger: settings.logger.child({ exporter: settings.id, data_type: signal }) });
    return createSignalExporter(settings, config, signal, sender);
  },
};
