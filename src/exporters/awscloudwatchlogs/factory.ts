import type { ExporterFactory } from '../../pipeline/factory.js';
import { componentCounter } from '../../telemetry/component-metrics.js';
import { createExporter } from '../helper/exporter.js';
import { cloudWatchLogsConfigSchema, type CloudWatchLogsConfig } from './config.js';
import { CloudWatchLogsSender } from './sender.js';

export const TRUNCATED_METRIC = 'gateway_awscloudwatchlogs_truncated_log_records_total';

/** `exporters.awscloudwatchlogs`: CloudWatch Logs PutLogEvents, SigV4 (docs/awscloudwatchlogs.md). */
export const awsCloudWatchLogsExporterFactory: ExporterFactory<CloudWatchLogsConfig> = {
  kind: 'exporter',
  type: 'awscloudwatchlogs',
  schema: cloudWatchLogsConfigSchema,
  create(settings, config) {
    const truncated = componentCounter(settings.telemetry.registry, TRUNCATED_METRIC, 'Log records whose CloudWatch Logs message was cut to the 256 KiB event limit', ['exporter']);
    const sender = new CloudWatchLogsSender(config, {
      id: settings.id,
      logger: settings.logger.child({ exporter: settings.id }),
      onTruncated: (records) => truncated.inc({ exporter: settings.id }, records),
    });
    return createExporter(settings, config, sender);
  },
};
