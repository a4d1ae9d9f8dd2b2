import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startElasticsearchBulk, type ElasticsearchBulkFake } from '../../fakes/elasticsearch-bulk.js';
import { startSplunkHec, type SplunkHecFake } from '../../fakes/splunk-hec.js';
import { runCli, startGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';
import { postLogs } from '../../process/delivery-harness.js';
import { logsOf } from '../helper/fixtures.js';

/** The config as written, plus no /metrics listener: its default 0.0.0.0:8888 collides with other test files running at once. */
const NO_METRICS_LISTENER = 'yaml:service::telemetry::metrics::level: none';

/**
 * Issue 20, acceptance 5: the contrib READMEs' configurations for `elasticsearch` and
 * `splunk_hec` (test/fixtures/collector-configs/, source in each header, adapted only in
 * endpoints) pass `validate` and run through the built gateway into the strict fakes.
 */

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/collector-configs');
const cleanup: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function runs(config: string, env: Record<string, string>, port: number, delivered: () => boolean): Promise<void> {
  const validated = await runCli(['validate', '--config', config], env);
  expect(validated.stderr).toBe('');
  expect(validated.code).toBe(0);
  const gateway: GatewayProcess = await startGateway([config, NO_METRICS_LISTENER], env);
  cleanup.push(() => gateway.stop());
  const res = await postLogs(port, logsOf('from a Collector config'));
  expect(res.status).toBe(200);
  await until('the record delivered', delivered);
  await gateway.stop();
}

describe('Collector configs from the contrib READMEs', () => {
  it('`components` lists elasticsearch, splunk_hec and basicauth', async () => {
    const { code, stdout } = await runCli(['components']);
    expect(code).toBe(0);
    for (const type of ['elasticsearch', 'splunk_hec', 'basicauth']) expect(stdout).toContain(type);
  });

  it('elasticsearch (basicauth authenticator) validates and runs', async () => {
    const es: ElasticsearchBulkFake = await startElasticsearchBulk({ auth: { user: 'elastic', password: 'changeme' } });
    cleanup.push(() => es.close());
    const port = await freePort();
    await runs(resolve(FIXTURES, 'elasticsearch.yaml'), { ELASTICSEARCH_ENDPOINT: es.url, OTLP_HTTP_ENDPOINT: `127.0.0.1:${port}` }, port, () => es.count() === 1);
    expect(es.documents()[0]).toMatchObject({ body: { text: 'from a Collector config' } });
  }, 120_000);

  it('splunk_hec validates and runs', async () => {
    const hec: SplunkHecFake = await startSplunkHec({ token: '00000000-0000-0000-0000-0000000000000', indexes: ['metrics'] });
    cleanup.push(() => hec.close());
    const port = await freePort();
    // The README's tls block names certificate files; validate checks they can be read.
    const certs = mkdtempSync(join(tmpdir(), 'hec-certs-'));
    for (const f of ['ExampleCA.crt', 'HECclient.crt', 'HECclient.key']) writeFileSync(join(certs, f), 'placeholder: plain HTTP to the fake never reads it\n');
    cleanup.push(async () => rmSync(certs, { recursive: true, force: true }));
    await runs(resolve(FIXTURES, 'splunk_hec.yaml'), { SPLUNK_HEC_ENDPOINT: hec.url, OTLP_HTTP_ENDPOINT: `127.0.0.1:${port}`, HEC_CERTS: certs }, port, () => hec.events.length === 1);
    expect(hec.events[0]).toMatchObject({ event: 'from a Collector config', source: 'otel', sourcetype: 'otel', index: 'metrics' });
    expect(hec.requests[0]!.headers).toMatchObject({ __splunk_app_name: 'OpenTelemetry-Collector Splunk Exporter', __splunk_app_version: 'v0.0.1' });
  }, 120_000);
});
