import type { ExporterFactory } from '../../pipeline/factory.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { createExporter } from '../helper/exporter.js';
import { azureLogsIngestionSchema, type AzureLogsIngestionConfig } from './config.js';
import { AzureLogsIngestionSender } from './sender.js';

/** `exporters.azure_logs_ingestion`: Azure Monitor Logs Ingestion API (docs/azure.md). */
export const azureLogsIngestionExporterFactory: ExporterFactory<AzureLogsIngestionConfig> = {
  kind: 'exporter',
  type: 'azure_logs_ingestion',
  schema: azureLogsIngestionSchema,
  create(settings, config) {
    registerSecret(config.client_secret);
    const sender = new AzureLogsIngestionSender(config, { id: settings.id, logger: settings.logger.child({ exporter: settings.id }) });
    return createExporter(settings, config, sender);
  },
};
