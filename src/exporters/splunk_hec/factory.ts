import type { ExporterFactory } from '../../pipeline/factory.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { createExporter } from '../helper/exporter.js';
import { splunkHecConfigSchema, type SplunkHecConfig } from './config.js';
import { SplunkHecSender } from './sender.js';

/** `splunk_hec`: OTLP logs → Splunk HTTP Event Collector, optionally with indexer acknowledgment (docs/splunk-hec.md). */
export const splunkHecExporterFactory: ExporterFactory<SplunkHecConfig> = {
  kind: 'exporter',
  type: 'splunk_hec',
  schema: splunkHecConfigSchema,
  create(settings, config) {
    // The schema registers it too; a config built in code must not leak it either.
    registerSecret(config.token);
    const sender = new SplunkHecSender({ config, id: settings.id, logger: settings.logger.child({ exporter: settings.id }) });
    // `timeout` bounds each HEC request (the sender applies it); one send also waits up to
    // ack.timeout for acknowledgments, so the helper's bound for a send covers both.
    const sendTimeout = config.ack.enabled ? config.timeout * 2 + config.ack.timeout : config.timeout;
    return createExporter(settings, { ...config, timeout: sendTimeout }, sender);
  },
};
