import type { ExporterFactory } from '../../pipeline/factory.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { createExporter } from '../helper/exporter.js';
import { datadogConfigSchema, type DatadogConfig } from './config.js';
import { DatadogLogsSender } from './sender.js';

/** `datadog`: OTLP logs → Datadog Logs API v2 (docs/datadog.md). */
export const datadogExporterFactory: ExporterFactory<DatadogConfig> = {
  kind: 'exporter',
  type: 'datadog',
  schema: datadogConfigSchema,
  create(settings, config) {
    // The schema registers it too; a config built in code must not leak it either.
    registerSecret(config.api.key);
    const sender = new DatadogLogsSender({ config, id: settings.id, logger: settings.logger.child({ exporter: settings.id }) });
    return createExporter(settings, config, sender);
  },
};
