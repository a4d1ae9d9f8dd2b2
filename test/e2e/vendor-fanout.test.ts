import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logsToJson } from '../../src/pdata/json.js';
import { newLogRecord, type Logs } from '../../src/pdata/model.js';
import { AzureIngestionFake } from '../fakes/azure-ingestion.js';
import { startDatadogIntake, type DatadogIntake } from '../fakes/datadog-intake.js';
import { GoogleLoggingFake } from '../fakes/google-logging.js';
import { startNewRelicIntake, type NewRelicIntake } from '../fakes/newrelic-intake.js';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 5, acceptance 2, through the real gateway process: one pipeline fans out to New Relic,
 * Datadog, Google Cloud Logging, Azure Monitor and an OTLP/HTTP backend, each with a persistent
 * (file_storage) queue. While one backend is down the others keep delivering everything; when it
 * comes back on the same port it catches up from its queue. Secrets travel by ${env:…} and never
 * reach the gateway's log.
 */

const RECORDS = 300;
const REQUESTS = 6;
const BODY_BYTES = 1024;
/** Long enough for a loaded 2-core CI machine; the assertions poll, they do not time anything. */
const DELIVERY_WAIT_MS = 60_000;

const secrets = {
  NR_KEY: `nr-${randomBytes(12).toString('hex')}`,
  DD_KEY: `dd-${randomBytes(12).toString('hex')}`,
  AZ_SECRET: `az~${randomBytes(16).toString('base64url')}`,
};
const azureIds = { tenantId: 'tenant-fanout', clientId: 'client-fanout', dcrImmutableId: 'dcr-0123456789abcdef0123456789abcdef', streamName: 'Custom-OTelLogs' };
const SA_EMAIL = 'gateway@fanout.iam.gserviceaccount.com';

let dir: string;
let gateway: GatewayProcess;
let httpPort: number;
let privateKeyPem: string;
let newrelic: NewRelicIntake;
let datadog: DatadogIntake;
let google: GoogleLoggingFake;
let azure: AzureIngestionFake;
let otlp: OtlpHttpBackend;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vendor-fanout-'));
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  [newrelic, datadog, google, azure, otlp] = await Promise.all([
    startNewRelicIntake({ apiKey: secrets.NR_KEY }),
    startDatadogIntake({ apiKey: secrets.DD_KEY }),
    new GoogleLoggingFake({ publicKey: pair.publicKey, clientEmail: SA_EMAIL, project: 'fanout' }).start(),
    new AzureIngestionFake({ ...azureIds, clientSecret: secrets.AZ_SECRET }).start(),
    OtlpHttpBackend.start(),
  ]);
  const keyFile = join(dir, 'sa.json');
  writeFileSync(keyFile, JSON.stringify({ type: 'service_account', project_id: 'fanout', client_email: SA_EMAIL, private_key: privateKeyPem, token_uri: google.tokenUri }));
  httpPort = await freePort();

  const queue = 'sending_queue: { storage: file_storage, queue_size: 10000 }';
  const retry = 'retry_on_failure: { initial_interval: 100ms, max_interval: 1s, max_elapsed_time: 0 }';
  const config = writeConfig(
    `
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${httpPort} }
processors:
  batch: { timeout: 50ms }
exporters:
  newrelic:
    api_key: \${env:NR_KEY}
    endpoint: ${newrelic.url}
    ${queue}
    ${retry}
  datadog:
    api:
      key: \${env:DD_KEY}
    logs: { endpoint: ${datadog.url} }
    ${queue}
    ${retry}
  googlecloud:
    credentials_file: \${env:GCP_KEY_FILE}
    log: { endpoint: ${google.baseUrl} }
    ${queue}
    ${retry}
  azure_logs_ingestion:
    endpoint: ${azure.baseUrl}
    authority_host: ${azure.baseUrl}
    dcr_immutable_id: ${azureIds.dcrImmutableId}
    stream_name: ${azureIds.streamName}
    tenant_id: ${azureIds.tenantId}
    client_id: ${azureIds.clientId}
    client_secret: \${env:AZ_SECRET}
    ${queue}
    ${retry}
  otlphttp:
    endpoint: ${otlp.url}
    ${queue}
    ${retry}
extensions:
  file_storage:
    directory: ${join(dir, 'queue')}
service:
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [newrelic, datadog, googlecloud, azure_logs_ingestion, otlphttp]
  telemetry:
    metrics: { level: none }
    # debug: the most the gateway ever logs is what must stay free of secrets
    logs: { level: debug }
`,
    dir,
  );
  gateway = await startGateway(config, { ...secrets, GCP_KEY_FILE: keyFile });
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([newrelic?.close(), datadog?.close(), google?.close(), azure?.close(), otlp?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `seq-<n>` padded with `.` to BODY_BYTES, so every backend's copy names its record. */
function body(n: number): string {
  return `seq-${n}|`.padEnd(BODY_BYTES, '.');
}

function numbered(from: number, count: number): Logs {
  const logRecords = Array.from({ length: count }, (_, i) => newLogRecord({ timeUnixNano: BigInt(Date.now()) * 1_000_000n, severityNumber: 9, body: { stringValue: body(from + i) } }));
  return { resourceLogs: [{ schemaUrl: '', resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fanout' } }], droppedAttributesCount: 0 }, scopeLogs: [{ schemaUrl: '', logRecords }] }] };
}

/** The sequence numbers a backend holds, sorted, from the bodies it stored. */
function seqs(bodies: unknown[]): number[] {
  return bodies.map((b) => Number(/^seq-(\d+)\|/.exec(String(b))?.[1] ?? -1)).sort((a, b) => a - b);
}

const everySeq = Array.from({ length: RECORDS }, (_, i) => i);
const delivered = {
  newrelic: () => seqs(newrelic.records().map((r) => r.body?.stringValue)),
  datadog: () => seqs(datadog.entries.map((e) => e.message)),
  googlecloud: () => seqs(google.visibleEntries().map((e) => e.textPayload)),
  azure_logs_ingestion: () => seqs(azure.rows.map((r) => r.Body)),
};

describe('vendor fan-out through the gateway process', () => {
  it('keeps delivering to the healthy backends while one is down, then the down one catches up from its queue', async () => {
    await otlp.goDown('refuse');
    const perRequest = RECORDS / REQUESTS;
    for (let r = 0; r < REQUESTS; r++) {
      const res = await fetch(`http://127.0.0.1:${httpPort}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: logsToJson(numbered(r * perRequest, perRequest)) });
      expect(res.status).toBe(200);
    }

    for (const [name, got] of Object.entries(delivered)) {
      await vi.waitFor(() => expect(got().length, name).toBeGreaterThanOrEqual(RECORDS), { timeout: DELIVERY_WAIT_MS, interval: 100 });
      expect(new Set(got()), name).toEqual(new Set(everySeq));
    }
    expect(otlp.recordCount()).toBe(0);

    await otlp.comeUp();
    await otlp.waitForRecords(RECORDS, DELIVERY_WAIT_MS);
    expect(new Set(seqs(otlp.records().map((r) => r.body?.stringValue)))).toEqual(new Set(everySeq));
    // Nothing the strict fakes refused along the way (auth, sizes, shapes).
    expect(newrelic.refusals).toEqual([]);
    expect(datadog.refusals).toEqual([]);
    expect(datadog.violations).toEqual([]);
  }, 3 * DELIVERY_WAIT_MS);

  it('never writes a secret to its log', () => {
    const log = gateway.stderr();
    expect(log).toContain('everything is ready');
    // The outage was logged (so the log did see failing sends), yet no key made it in.
    expect(log).toMatch(/send failed, will retry component=exporter\/otlphttp/);
    for (const secret of [...Object.values(secrets), privateKeyPem.split('\n')[1]]) expect(log).not.toContain(secret);
  });
});
