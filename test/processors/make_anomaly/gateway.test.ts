import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromAnyValue } from '../../../src/pdata/values.js';
import { OtlpHttpBackend } from '../../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';

/**
 * make_anomaly in the real gateway: executions pushed to the Make webhook (five days of history,
 * then an hour where most runs fail) reach the backend unchanged, followed by one make.anomaly
 * record; the anomaly counter is on the metrics endpoint.
 */

const KEY = `whk-${randomBytes(8).toString('hex')}`;
const H = 3_600_000;
let gateway: GatewayProcess | undefined;
let backend: OtlpHttpBackend | undefined;
let dir: string | undefined;

afterAll(async () => {
  await gateway?.stop();
  await backend?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('make_anomaly through the gateway process', () => {
  it('adds one make.anomaly record after a failing hour pushed through the Make webhook', async () => {
    backend = await OtlpHttpBackend.start();
    dir = mkdtempSync(join(tmpdir(), 'mog-anomaly-'));
    const [hookPort, metricsPort] = [await freePort(), await freePort()];
    const config = writeConfig(
      `
extensions:
  file_storage:
    directory: ${join(dir, 'data')}
receivers:
  make:
    webhook:
      endpoint: 127.0.0.1:${hookPort}
      api_key: \${env:HOOK_KEY}
processors:
  make_anomaly:
    storage: file_storage
exporters:
  otlphttp:
    endpoint: ${backend.url}
service:
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [make]
      processors: [make_anomaly]
      exporters: [otlphttp]
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
`,
      dir,
    );
    gateway = await startGateway(config, { HOOK_KEY: KEY });
    const start = Math.floor(Date.now() / H) * H - 7 * 24 * H;
    let seq = 0;
    const run = (t: number, status: string) => ({ scenarioId: 4711, scenarioName: 'Invoice sync', id: (++seq).toString(16).padStart(32, '0'), status, timestamp: t, duration: 2000 + (seq % 7) * 10, operations: 4 });
    const push = async (items: unknown[]) => {
      const res = await fetch(`http://127.0.0.1:${hookPort}/`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-make-apikey': KEY }, body: JSON.stringify(items) });
      expect(res.status).toBe(200);
    };
    // Five days, four runs an hour, all fine; then an hour with 3 of 4 failing; then one more run.
    for (let day = 0; day < 5; day++) {
      await push(Array.from({ length: 96 }, (_, i) => run(start + day * 24 * H + i * 15 * 60_000, 'success')));
    }
    const spikeAt = start + 5 * 24 * H;
    await push([0, 1, 2, 3].map((i) => run(spikeAt + i * 15 * 60_000, i === 0 ? 'success' : 'error')));
    await push([run(spikeAt + H + 60_000, 'success')]);

    await backend.waitForRecords(5 * 96 + 4 + 1 + 1, 30_000);
    const anomalies = backend.records().filter((r) => r.eventName === 'make.anomaly');
    expect(anomalies).toHaveLength(1);
    const attrs = Object.fromEntries(anomalies[0].attributes.map((kv) => [kv.key, fromAnyValue(kv.value)]));
    expect(attrs).toMatchObject({ 'make.anomaly.kind': 'error_rate_spike', 'make.anomaly.window_start': new Date(spikeAt).toISOString() });
    expect(anomalies[0].severityText).toBe('ERROR');
    expect(backend.records().filter((r) => r.eventName === 'make.scenario.execution')).toHaveLength(5 * 96 + 5);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('gateway_make_anomalies_total{processor="make_anomaly",scenario_id="4711",kind="error_rate_spike"} 1');
  });
});
