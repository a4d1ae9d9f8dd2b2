import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlphttpConfigSchema } from '../../../src/exporters/otlphttp/config.js';
import { OtlpHttpLogsSender } from '../../../src/exporters/otlphttp/sender.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { OtlpHttpBackend } from '../../fakes/otlp-http-backend.js';
import { exportRequest } from '../datadog/build-logs.js';
import { recentLogs } from '../awscloudwatchlogs/cw-test-kit.js';
import { runCli, startGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';

/**
 * Issue 20, Loki: the configuration of docs/loki.md (test/fixtures/collector-configs/loki-otlphttp.yaml,
 * from Loki's own documentation) sends what Loki's native OTLP endpoint takes: `POST /otlp/v1/logs`,
 * OTLP protobuf (`application/x-protobuf`), gzip, the tenant in X-Scope-OrgID, and records whose
 * resource carries `service.name` (Loki's `service_name` label), body as the log line, and the Make
 * attributes intact (Loki keeps them as structured metadata). The stand-in only accepts that path
 * and header, so a wrong `endpoint` (e.g. one ending in /v1/logs) fails here.
 */
const CONFIG = resolve(import.meta.dirname, '../../fixtures/collector-configs/loki-otlphttp.yaml');

let loki: OtlpHttpBackend;
let gateway: GatewayProcess | undefined;
let env: NodeJS.ProcessEnv;
let httpPort: number;

beforeAll(async () => {
  loki = await OtlpHttpBackend.start({ path: '/otlp/v1/logs', requiredHeaders: { 'x-scope-orgid': 'make-team' } });
  httpPort = await freePort();
  env = { LOKI_URL: loki.url, OTLP_HTTP_ENDPOINT: `127.0.0.1:${httpPort}` };
});
afterAll(async () => {
  await gateway?.stop();
  await loki?.close();
});

const str = (v: string) => ({ stringValue: v });

describe('otlphttp to Loki\'s OTLP endpoint', () => {
  it('the docs configuration passes validate', async () => {
    const r = await runCli(['validate', '--config', CONFIG], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('posts OTLP protobuf to /otlp/v1/logs with the tenant header, with service.name, body and attributes as Loki maps them', async () => {
    gateway = await startGateway(CONFIG, env);
    const timeUnixNano = String(BigInt(Date.now()) * 1_000_000n);
    const res = await fetch(`http://127.0.0.1:${httpPort}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: str('make') }, { key: 'make.scenario.id', value: { intValue: '4711' } }, { key: 'make.team.id', value: { intValue: '12' } }] },
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano,
                    severityNumber: 17,
                    severityText: 'ERROR',
                    eventName: 'make.scenario.execution',
                    body: str('Scenario "Sync CRM" execution 0123abcd failed after 1200 ms, 3 operations'),
                    attributes: [{ key: 'make.execution.id', value: str('0123abcd') }, { key: 'make.execution.status', value: str('error') }],
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    await loki.waitForRecords(1, 30_000);
    const [req] = loki.requests;
    expect(req.encoding).toBe('proto');
    expect(req.contentEncoding).toBe('gzip');
    expect(req.headers['content-type']).toBe('application/x-protobuf');
    expect(req.headers['x-scope-orgid']).toBe('make-team');
    const resource = Object.fromEntries(req.logs.resourceLogs[0].resource!.attributes.map((a) => [a.key, a.value?.stringValue ?? a.value?.intValue]));
    expect(resource).toEqual({ 'service.name': 'make', 'make.scenario.id': 4711n, 'make.team.id': 12n });
    const [record] = loki.records();
    expect(record.body?.stringValue).toContain('execution 0123abcd failed');
    expect(record.timeUnixNano).toBe(BigInt(timeUnixNano));
    expect(record.severityText).toBe('ERROR');
    expect(Object.fromEntries(record.attributes.map((a) => [a.key, a.value?.stringValue]))).toEqual({ 'make.execution.id': '0123abcd', 'make.execution.status': 'error' });
  });

  it('refuses the common mistake of an endpoint that already ends in /v1/logs (docs/loki.md warns about it)', async () => {
    const config = otlphttpConfigSchema.parse({ endpoint: `${loki.url}/otlp/v1/logs`, headers: { 'X-Scope-OrgID': 'make-team' } });
    const sender = new OtlpHttpLogsSender({ config, logger: silentLogger });
    try {
      const result = await sender.send(exportRequest(recentLogs(1, 10), encodeLogs), new AbortController().signal);
      expect(result).toMatchObject({ kind: 'permanent', reason: expect.stringContaining('404') });
    } finally {
      await sender.shutdown?.();
    }
  });
});
