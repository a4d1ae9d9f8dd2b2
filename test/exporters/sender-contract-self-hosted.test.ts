import { elasticsearchConfigSchema } from '../../src/exporters/elasticsearch/config.js';
import { ElasticsearchSender } from '../../src/exporters/elasticsearch/sender.js';
import { otlphttpConfigSchema } from '../../src/exporters/otlphttp/config.js';
import { OtlpHttpLogsSender } from '../../src/exporters/otlphttp/sender.js';
import { splunkHecConfigSchema } from '../../src/exporters/splunk_hec/config.js';
import { SplunkHecSender } from '../../src/exporters/splunk_hec/sender.js';
import { encodeLogs } from '../../src/pdata/proto.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { startElasticsearchBulk } from '../fakes/elasticsearch-bulk.js';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startSplunkHec } from '../fakes/splunk-hec.js';
import { recentLogs } from './awscloudwatchlogs/cw-test-kit.js';
import { exportRequest } from './datadog/build-logs.js';
import { describeSenderContract, type SenderHarness, type Transport } from './sender.contract.js';

/**
 * The sender contract (sender.contract.ts) for the exporters whose backend is often self-hosted
 * (behind a private CA or a proxy): otlphttp, elasticsearch and splunk_hec, each against its strict fake.
 */

const request = (logs: Parameters<typeof exportRequest>[0]) => exportRequest(logs, encodeLogs);

const OTLP_KEY = 'otlp-contract-api-key-0123456789';
describeSenderContract({
  name: 'otlphttp',
  logs: recentLogs,
  request,
  // No oversize case: OTLP/HTTP sends a request as queued and a 413 is final, as in the Collector's otlphttp.
  async start(t: Transport) {
    const backend = await OtlpHttpBackend.start({ requiredHeaders: { 'api-key': OTLP_KEY } });
    const proxy = await t.proxy(backend.url);
    const config = otlphttpConfigSchema.parse({ endpoint: proxy.url, headers: { 'api-key': OTLP_KEY }, ...t.client });
    const sender = new OtlpHttpLogsSender({ config, logger: silentLogger });
    return { sender, proxy, delivered: () => backend.recordCount(), secrets: [OTLP_KEY], close: async () => (await proxy.close(), await backend.close()) };
  },
} satisfies SenderHarness);

const ES_USER = 'elastic';
const ES_PASSWORD = 'es-contract-password-0123456789';
describeSenderContract({
  name: 'elasticsearch',
  logs: recentLogs,
  request,
  // Above the cluster's http.max_content_length (256 KiB here): 413, halved until the parts fit.
  oversize: { records: 600, bodyBytes: 1_024 },
  async start(t: Transport) {
    const es = await startElasticsearchBulk({ auth: { user: ES_USER, password: ES_PASSWORD }, maxContentLength: 256 * 1024 });
    const proxy = await t.proxy(es.url);
    const config = elasticsearchConfigSchema.parse({ endpoint: proxy.url, user: ES_USER, password: ES_PASSWORD, ...t.client });
    const basic = Buffer.from(`${ES_USER}:${ES_PASSWORD}`).toString('base64');
    const sender = new ElasticsearchSender({ config, logger: silentLogger, secrets: [ES_PASSWORD, basic] });
    return { sender, proxy, delivered: () => es.count(), secrets: [ES_PASSWORD, basic], close: async () => (await proxy.close(), await es.close()) };
  },
} satisfies SenderHarness);

const HEC_TOKEN = '00000000-1111-2222-3333-444444444444';
describeSenderContract({
  name: 'splunk_hec',
  logs: recentLogs,
  request,
  // Above max_content_length_logs (64 KiB here): packed into several POSTs.
  oversize: { records: 300, bodyBytes: 1_024 },
  async start(t: Transport) {
    const hec = await startSplunkHec({ token: HEC_TOKEN, maxContentLength: 64 * 1024 });
    const proxy = await t.proxy(hec.url.replace(/\/services\/collector$/, ''));
    const config = splunkHecConfigSchema.parse({ token: HEC_TOKEN, endpoint: `${proxy.url}/services/collector`, max_content_length_logs: 64 * 1024, ...t.client });
    const sender = new SplunkHecSender({ config, logger: silentLogger });
    return { sender, proxy, delivered: () => hec.events.length, secrets: [HEC_TOKEN], close: async () => (await proxy.close(), await hec.close()) };
  },
} satisfies SenderHarness);
