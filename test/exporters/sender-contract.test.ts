import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPKCS8, generateKeyPair } from 'jose';
import { CloudWatchLogsSender } from '../../src/exporters/awscloudwatchlogs/sender.js';
import { azureLogsIngestionSchema } from '../../src/exporters/azure_logs_ingestion/config.js';
import { AzureLogsIngestionSender } from '../../src/exporters/azure_logs_ingestion/sender.js';
import { datadogConfigSchema } from '../../src/exporters/datadog/config.js';
import { DatadogLogsSender } from '../../src/exporters/datadog/sender.js';
import { googleCloudSchema } from '../../src/exporters/googlecloud/config.js';
import { GoogleCloudSender } from '../../src/exporters/googlecloud/sender.js';
import { newrelicConfigSchema } from '../../src/exporters/newrelic/config.js';
import { NewRelicLogsSender } from '../../src/exporters/newrelic/sender.js';
import { encodeLogs } from '../../src/pdata/proto.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { AzureIngestionFake } from '../fakes/azure-ingestion.js';
import { startCloudWatchLogsFake } from '../fakes/cloudwatch-logs.js';
import { startDatadogIntake } from '../fakes/datadog-intake.js';
import { GoogleLoggingFake } from '../fakes/google-logging.js';
import { startNewRelicIntake } from '../fakes/newrelic-intake.js';
import { cwConfig, credentialsEnv, fakeKeys, recentLogs, SECRET_ACCESS_KEY, SESSION_TOKEN } from './awscloudwatchlogs/cw-test-kit.js';
import { exportRequest } from './datadog/build-logs.js';
import { describeSenderContract, type SenderHarness, type Transport } from './sender.contract.js';

/**
 * The sender contract (sender.contract.ts) for the SaaS vendor exporters, each against its own
 * strict fake; sender-contract-self-hosted.test.ts runs it for otlphttp, elasticsearch and splunk_hec.
 */

const recent = (count: number, bodyBytes: number) => recentLogs(count, bodyBytes);
const decoded = (logs: Parameters<typeof exportRequest>[0]) => exportRequest(logs, encodeLogs);

const DD_KEY = 'dd-contract-key-0123456789abcdef';
describeSenderContract({
  name: 'datadog',
  logs: recent,
  request: decoded,
  oversize: { records: 1_500, bodyBytes: 100 },
  async start(t: Transport) {
    const intake = await startDatadogIntake({ apiKey: DD_KEY });
    const proxy = await t.proxy(intake.url);
    const sender = new DatadogLogsSender({ config: datadogConfigSchema.parse({ api: { key: DD_KEY }, logs: { endpoint: proxy.url }, ...t.client }), logger: silentLogger });
    return { sender, proxy, delivered: () => intake.entries.length, secrets: [DD_KEY], close: async () => (await proxy.close(), await intake.close()) };
  },
} satisfies SenderHarness);

const NR_KEY = 'nr-contract-license-key-0123NRAL';
describeSenderContract({
  name: 'newrelic',
  logs: recent,
  request: decoded,
  oversize: { records: 1_500, bodyBytes: 1_024 },
  async start(t: Transport) {
    const intake = await startNewRelicIntake({ apiKey: NR_KEY });
    const proxy = await t.proxy(intake.url);
    const sender = new NewRelicLogsSender({ config: newrelicConfigSchema.parse({ api_key: NR_KEY, endpoint: proxy.url, ...t.client }), logger: silentLogger });
    return { sender, proxy, delivered: () => intake.records().length, secrets: [NR_KEY], close: async () => (await proxy.close(), await intake.close()) };
  },
} satisfies SenderHarness);

const AZURE = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '0c5f8a8e-1d3c-4b2e-9a55-3b5e3f1a2b3c',
  clientSecret: 'Xy8Q~contract-secret-that-must-not-leak',
  dcrImmutableId: 'dcr-00000000000000000000000000000000',
  streamName: 'Custom-OTelLogs',
};
describeSenderContract({
  name: 'azure_logs_ingestion',
  logs: recent,
  request: decoded,
  oversize: { records: 1_500, bodyBytes: 1_024 },
  async start(t: Transport) {
    const fake = await new AzureIngestionFake(AZURE).start();
    const proxy = await t.proxy(fake.baseUrl);
    const config = azureLogsIngestionSchema.parse({
      endpoint: proxy.url,
      authority_host: fake.baseUrl,
      dcr_immutable_id: AZURE.dcrImmutableId,
      stream_name: AZURE.streamName,
      tenant_id: AZURE.tenantId,
      client_id: AZURE.clientId,
      client_secret: AZURE.clientSecret,
      ...t.client,
    });
    const sender = new AzureLogsIngestionSender(config as never, { logger: silentLogger });
    return { sender, proxy, delivered: () => fake.rows.length, secrets: [AZURE.clientSecret], close: async () => (await proxy.close(), await fake.close()) };
  },
} satisfies SenderHarness);

const GCP_EMAIL = 'gateway@contract-project.iam.gserviceaccount.com';
describeSenderContract({
  name: 'googlecloud',
  logs: recent,
  request: decoded,
  oversize: { records: 11_000, bodyBytes: 1_024 },
  async start(t: Transport) {
    const pair = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportPKCS8(pair.privateKey);
    const fake = await new GoogleLoggingFake({ publicKey: pair.publicKey, clientEmail: GCP_EMAIL, project: 'contract-project' }).start();
    const proxy = await t.proxy(fake.baseUrl);
    const dir = await mkdtemp(join(tmpdir(), 'gcp-contract-'));
    const file = join(dir, 'key.json');
    await writeFile(file, JSON.stringify({ type: 'service_account', project_id: 'contract-project', private_key_id: 'k1', private_key: pem, client_email: GCP_EMAIL, token_uri: fake.tokenUri }));
    const config = googleCloudSchema.parse({ credentials_file: file, log: { endpoint: proxy.url }, ...t.client });
    const sender = new GoogleCloudSender(config as never, { logger: silentLogger, env: {} });
    const pemLines = pem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'));
    return {
      sender,
      proxy,
      delivered: () => fake.entries.length,
      secrets: pemLines,
      close: async () => {
        await proxy.close();
        await fake.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
} satisfies SenderHarness);

describeSenderContract({
  name: 'awscloudwatchlogs',
  logs: recent,
  request: decoded,
  oversize: { records: 1_500, bodyBytes: 1_024 },
  async start(t: Transport) {
    const fake = await startCloudWatchLogsFake({ keys: fakeKeys() });
    fake.createGroup('make/executions', ['gateway-1']);
    const proxy = await t.proxy(fake.url);
    const sender = new CloudWatchLogsSender(cwConfig(proxy.url, { ...t.client }), { logger: silentLogger, env: credentialsEnv() });
    return { sender, proxy, delivered: () => fake.events('make/executions', 'gateway-1').length, secrets: [SECRET_ACCESS_KEY, SESSION_TOKEN], close: async () => (await proxy.close(), await fake.close()) };
  },
} satisfies SenderHarness);
