import type { ExporterFactory } from '../../pipeline/factory.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { createExporter } from '../helper/exporter.js';
import { newrelicConfigSchema, type NewRelicConfig } from './config.js';
import { NewRelicLogsSender } from './sender.js';

/** `newrelic`: OTLP/HTTP protobuf to New Relic's native OTLP endpoint (docs/newrelic.md). */
export const newrelicExporterFactory: ExporterFactory<NewRelicConfig> = {
  kind: 'exporter',
  type: 'newrelic',
  schema: newrelicConfigSchema,
  create(settings, config) {
    // The schema registers it too; a config built in code must not leak it either.
    registerSecret(config.api_key);
    const sender = new NewRelicLogsSender({ config, id: settings.id, logger: settings.logger.child({ exporter: settings.id }) });
    return createExporter(settings, config, sender);
  },
};
