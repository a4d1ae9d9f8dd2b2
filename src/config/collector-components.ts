import type { Kind } from '../pipeline/registry.js';

/**
 * Component types of the OpenTelemetry Collector (core and contrib) that this gateway does not
 * ship, so a config that names one gets a line saying so and where to read more, instead of
 * "unknown type". The full table, with what to use instead, is docs/compatibility.md (a test keeps
 * the two in step).
 */
export const UNSUPPORTED_COLLECTOR_COMPONENTS: Record<Kind, readonly string[]> = {
  receiver: [
    'jaeger', 'zipkin', 'prometheus', 'prometheus_simple', 'kafka', 'hostmetrics', 'k8s_cluster',
    'k8sobjects', 'k8s_events', 'kubeletstats', 'syslog', 'tcplog', 'udplog', 'journald', 'windowseventlog', 'awsxray',
    'awscloudwatch', 'awsfirehose', 'azureeventhub', 'googlecloudpubsub', 'redis', 'postgresql', 'mysql', 'statsd', 'carbon',
    'influxdb', 'splunk_hec', 'sqlquery', 'httpcheck', 'docker_stats', 'opencensus', 'signalfx', 'datadog', 'loki',
    'webhookevent', 'receiver_creator', 'otlpjsonfile', 'sshcheck', 'snmp', 'vcenter', 'nginx', 'apache', 'mongodb',
    'elasticsearch', 'rabbitmq', 'zookeeper', 'haproxy', 'memcached', 'oracledb', 'sqlserver', 'iis', 'skywalking', 'pulsar',
    'solace', 'github', 'gitlab', 'cloudflare', 'azureblob', 'awss3', 'awsecscontainermetrics',
    // The Collector's newer spellings of the same components.
    'host_metrics', 'k8s_objects',
  ],
  processor: [
    'k8sattributes', 'tail_sampling', 'probabilistic_sampler', 'groupbyattrs', 'groupbytrace', 'span',
    'metricstransform', 'cumulativetodelta', 'deltatorate', 'routing', 'logdedup', 'interval', 'logstransform', 'schema',
    'metricsgeneration', 'remotetap', 'sumologic', 'geoip', 'isolationforest', 'unroll', 'experimental_metricsgeneration',
    'deltatocumulative', 'lookup', 'k8s_attributes', 'resource_detection',
  ],
  exporter: [
    'kafka', 'prometheus', 'prometheusremotewrite', 'logging', 'zipkin', 'awss3', 'awsxray', 'awsemf', 'awskinesis',
    'azuredataexplorer', 'azuremonitor', 'clickhouse', 'coralogix', 'dynatrace', 'honeycombmarker', 'influxdb', 'opensearch',
    'sentry', 'signalfx', 'sumologic', 'syslog', 'tencentcloud_logservice', 'alibabacloud_logservice', 'googlecloudpubsub',
    'googlemanagedprometheus', 'loadbalancing', 'loki', 'pulsar', 'rabbitmq', 'cassandra', 'doris', 'logicmonitor',
    'logzio', 'mezmo', 'otelarrow', 'sapm', 'carbon', 'datasetexporter', 'bmchelix',
  ],
  connector: [
    'spanmetrics', 'servicegraph', 'count', 'exceptions', 'signaltometrics', 'roundrobin', 'failover', 'sum', 'datadog',
    'otlpjson', 'grafanacloud',
  ],
  extension: [
    'pprof', 'zpages', 'memory_ballast', 'oidc', 'sigv4auth', 'k8s_observer', 'docker_observer', 'host_observer',
    'ecs_observer', 'db_storage', 'redis_storage', 'jaegerremotesampling', 'asapauth', 'awsproxy', 'opamp', 'ack',
    'k8s_leader_elector', 'googleclientauth', 'azureauth', 'cgroupruntime', 'avrologencoding', 'jsonlogencoding',
    'otlpencoding', 'textencoding', 'zipkinencoding', 'jaegerencoding', 'remotetap', 'sumologic', 'solarwindsapmsettings',
  ],
};

/** The line a config gets for a Collector component this build does not ship, or undefined. */
export function unsupportedComponentHint(kind: Kind, type: string, shipped: readonly string[]): string | undefined {
  if (shipped.includes(type) || !UNSUPPORTED_COLLECTOR_COMPONENTS[kind].includes(type)) return undefined;
  return `the Collector's ${type} ${kind} is not supported by make-otel-gateway (see docs/compatibility.md for what to use instead)`;
}
