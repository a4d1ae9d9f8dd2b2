import type { ExporterFactory } from '../../pipeline/factory.js';
import { componentCounter } from '../../telemetry/component-metrics.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { createExporter } from '../helper/exporter.js';
import { elasticsearchConfigSchema, type ElasticsearchConfig } from './config.js';
import { basicToken, ElasticsearchSender } from './sender.js';

export const CONFLICTS_METRIC = 'otelcol_exporter_elasticsearch_conflicts_total';

/** `elasticsearch`: OTLP logs → the Elasticsearch `_bulk` API (docs/elasticsearch.md). */
export const elasticsearchExporterFactory: ExporterFactory<ElasticsearchConfig> = {
  kind: 'exporter',
  type: 'elasticsearch',
  schema: elasticsearchConfigSchema,
  create(settings, config) {
    // The schema registers them too; a config built in code must not leak them either, nor the
    // Basic header built from them.
    const basic = config.user ? basicToken(config.user, config.password ?? '') : undefined;
    for (const s of [config.password, config.api_key, basic]) registerSecret(s);
    // Documents a redelivery found already indexed (409 on create): proof of effectively-once, not an error.
    const conflicts = componentCounter(settings.telemetry.registry, CONFLICTS_METRIC, 'Documents Elasticsearch already held (409 on a create with a document id), counted as delivered', ['exporter']);
    const sender = new ElasticsearchSender({
      config,
      logger: settings.logger.child({ exporter: settings.id }),
      id: settings.id,
      secrets: [config.password, config.api_key, basic].filter((s): s is string => !!s),
      onConflict: (n) => conflicts.inc({ exporter: settings.id }, n),
    });
    // `retry.enabled: false` is the Collector's way to turn retries off.
    const helper = config.retry.enabled ? config : { ...config, retry_on_failure: { ...config.retry_on_failure, enabled: false } };
    return createExporter(settings, helper, sender);
  },
};
