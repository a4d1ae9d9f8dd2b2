import { Counter } from 'prom-client';
import type { ExporterFactory } from '../../pipeline/factory.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { createExporter } from '../helper/exporter.js';
import { cloudWatchLogsConfigSchema, type CloudWatchLogsConfig } from './config.js';
import { CloudWatchLogsSender } from './sender.js';

export const TRUNCATED_METRIC = 'gateway_awscloudwatchlogs_truncated_log_records_total';

/** One counter per registry, however many awscloudwatchlogs exporters share it. */
function truncatedCounter(telemetry: Telemetry): Counter<'exporter'> {
  const existing = telemetry.registry.getSingleMetric(TRUNCATED_METRIC);
  if (existing) return existing as Counter<'exporter'>;
  return new Counter({
    name: TRUNCATED_METRIC,
    help: 'Log records whose CloudWatch Logs message was cut to the 256 KiB event limit',
    labelNames: ['exporter'],
    registers: [telemetry.registry],
  });
}

/** `exporters.awscloudwatchlogs`: CloudWatch Logs PutLogEvents, SigV4 (docs/awscloudwatchlogs.md). */
export const awsCloudWatchLogsExporterFactory: ExporterFactory<CloudWatchLogsConfig> = {
  kind: 'exporter',
  type: 'awscloudwatchlogs',
  schema: cloudWatchLogsConfigSchema,
  create(settings, config) {
    const truncated = truncatedCounter(settings.telemetry);
    const sender = new CloudWatchLogsSender(config, {
      id: settings.id,
      logger: settings.logger.child({ exporter: settings.id }),
      onTruncated: (records) => truncated.inc({ exporter: settings.id }, records),
    });
    return createExporter(settings, config, sender);
  },
};
