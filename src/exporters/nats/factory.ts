import type { ExporterFactory } from '../../pipeline/factory.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { createExporter } from '../helper/exporter.js';
import { natsExporterSchema, type NatsExporterConfig } from './config.js';
import { NatsLogsSender } from './sender.js';

/** `nats`: OTLP logs → a NATS JetStream stream, one message per queued request (docs/nats.md). */
export const natsExporterFactory: ExporterFactory<NatsExporterConfig> = {
  kind: 'exporter',
  type: 'nats',
  schema: natsExporterSchema,
  create(settings, config) {
    // The schema registers them too; a config built in code must not leak them either.
    registerSecret(config.token);
    registerSecret(config.password);
    const sender = new NatsLogsSender(config, settings.id, settings.logger.child({ exporter: settings.id }));
    return createExporter(settings, config, sender);
  },
};
