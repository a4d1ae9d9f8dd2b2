import { afterAll, describe, expect, it } from 'vitest';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * docs/architecture.md §9: the gateway's own logs go through the OpenTelemetry JS SDK, to stderr and,
 * when configured, over OTLP; its metrics are served with the Collector's names.
 */
let gateway: GatewayProcess | undefined;
let backend: OtlpHttpBackend | undefined;
afterAll(async () => {
  await gateway?.stop();
  await backend?.close();
});

describe('self-telemetry', () => {
  it('ships its own logs over OTLP and serves its metrics', async () => {
    backend = await OtlpHttpBackend.start();
    const [http, metrics] = [await freePort(), await freePort()];
    gateway = await startGateway(
      writeConfig(`
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${http} }
exporters:
  debug:
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [debug] }
  telemetry:
    metrics:
      address: 127.0.0.1:${metrics}
    logs:
      level: info
      processors:
        - simple:
            exporter:
              otlp:
                protocol: http/json
                endpoint: ${backend.logsUrl}
`),
    );
    const ready = () => backend!.records().find((r) => (r.body?.stringValue ?? '').includes('everything is ready'));
    for (let i = 0; i < 200 && !ready(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(ready()).toBeDefined();
    expect(ready()!.severityText).toBe('INFO');
    expect(ready()!.severityNumber).toBe(9);
    expect(gateway.stderr()).toContain('everything is ready');

    const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    for (const name of ['otelcol_process_uptime', 'otelcol_process_memory_rss', 'otelcol_process_cpu_seconds_total', 'process_cpu_seconds_total', 'otelcol_receiver_accepted_log_records_total']) {
      expect(text).toContain(name);
    }
    const notFound = await fetch(`http://127.0.0.1:${metrics}/other`);
    expect(notFound.status).toBe(404);
  });
});
