import { Registry } from './pipeline/registry.js';
import type { AnyFactory } from './pipeline/factory.js';
import { otlpReceiverFactory } from './receivers/otlp/factory.js';
import { makeReceiverFactory } from './receivers/make/factory.js';
import { natsReceiverFactory } from './receivers/nats/factory.js';
import { filelogReceiverFactory } from './receivers/filelog/factory.js';
import { fluentforwardReceiverFactory } from './receivers/fluentforward/factory.js';
import { nopReceiverFactory } from './receivers/nop/factory.js';
import { batchProcessorFactory } from './processors/batch/factory.js';
import { memoryLimiterProcessorFactory } from './processors/memory_limiter/factory.js';
import { attributesProcessorFactory } from './processors/attributes/factory.js';
import { resourceProcessorFactory } from './processors/resource/factory.js';
import { resourceDetectionProcessorFactory } from './processors/resourcedetection/factory.js';
import { filterProcessorFactory } from './processors/filter/factory.js';
import { transformProcessorFactory } from './processors/transform/factory.js';
import { redactionProcessorFactory } from './processors/redaction/factory.js';
import { logMetricsProcessorFactory } from './processors/log_metrics/factory.js';
import { makeAnomalyProcessorFactory } from './processors/make_anomaly/factory.js';
import { otlphttpExporterFactory } from './exporters/otlphttp/factory.js';
import { otlpExporterFactory } from './exporters/otlp/factory.js';
import { debugExporterFactory } from './exporters/debug/factory.js';
import { fileExporterFactory } from './exporters/file/factory.js';
import { newrelicExporterFactory } from './exporters/newrelic/factory.js';
import { datadogExporterFactory } from './exporters/datadog/factory.js';
import { googlecloudExporterFactory } from './exporters/googlecloud/factory.js';
import { azureLogsIngestionExporterFactory } from './exporters/azure_logs_ingestion/factory.js';
import { elasticsearchExporterFactory } from './exporters/elasticsearch/factory.js';
import { splunkHecExporterFactory } from './exporters/splunk_hec/factory.js';
import { awsCloudWatchLogsExporterFactory } from './exporters/awscloudwatchlogs/factory.js';
import { natsExporterFactory } from './exporters/nats/factory.js';
import { nopExporterFactory } from './exporters/nop/factory.js';
import { healthCheckExtensionFactory } from './extensions/health_check/factory.js';
import { fileStorageExtensionFactory } from './extensions/file_storage/factory.js';
import { bearerTokenAuthExtensionFactory } from './extensions/bearertokenauth/factory.js';
import { basicAuthExtensionFactory } from './extensions/basicauth/factory.js';
import { oauth2ClientExtensionFactory } from './extensions/oauth2client/factory.js';
import { headersSetterExtensionFactory } from './extensions/headers_setter/factory.js';
import { makeExportsExtensionFactory } from './extensions/make_exports/factory.js';
import { routingConnectorFactory } from './connectors/routing/factory.js';
import { forwardConnectorFactory } from './connectors/forward/factory.js';
import { adminExtensionFactory } from './extensions/admin/factory.js';

/** Every component type the gateway ships. Adding a component = one line here. */
export const factories: AnyFactory[] = [
  otlpReceiverFactory,
  makeReceiverFactory,
  natsReceiverFactory,
  filelogReceiverFactory,
  fluentforwardReceiverFactory,
  nopReceiverFactory,
  batchProcessorFactory,
  memoryLimiterProcessorFactory,
  attributesProcessorFactory,
  resourceProcessorFactory,
  resourceDetectionProcessorFactory,
  filterProcessorFactory,
  transformProcessorFactory,
  redactionProcessorFactory,
  logMetricsProcessorFactory,
  makeAnomalyProcessorFactory,
  otlphttpExporterFactory,
  otlpExporterFactory,
  debugExporterFactory,
  fileExporterFactory,
  newrelicExporterFactory,
  datadogExporterFactory,
  googlecloudExporterFactory,
  azureLogsIngestionExporterFactory,
  elasticsearchExporterFactory,
  splunkHecExporterFactory,
  awsCloudWatchLogsExporterFactory,
  natsExporterFactory,
  nopExporterFactory,
  healthCheckExtensionFactory,
  fileStorageExtensionFactory,
  bearerTokenAuthExtensionFactory,
  basicAuthExtensionFactory,
  oauth2ClientExtensionFactory,
  headersSetterExtensionFactory,
  makeExportsExtensionFactory,
  routingConnectorFactory,
  forwardConnectorFactory,
  adminExtensionFactory,
];

export const defaultRegistry = new Registry(factories);
