import type { ExporterFactory } from '../../pipeline/factory.js';
import { createExporter } from '../helper/exporter.js';
import { googleCloudSchema, type GoogleCloudConfig } from './config.js';
import { GoogleCloudSender } from './sender.js';

/** `exporters.googlecloud`: Cloud Logging `entries:write` (docs/googlecloud.md). */
export const googlecloudExporterFactory: ExporterFactory<GoogleCloudConfig> = {
  kind: 'exporter',
  type: 'googlecloud',
  schema: googleCloudSchema,
  create(settings, config) {
    const sender = new GoogleCloudSender(config, { id: settings.id, logger: settings.logger.child({ exporter: settings.id }) });
    return createExporter(settings, config, sender);
  },
};
