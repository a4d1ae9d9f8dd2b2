import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { runCli, startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 2, acceptance 4: a configuration written for the OpenTelemetry Collector, using the
 * components we ship (taken from the Collector's documentation examples, with only the endpoints
 * changed), validates and runs unchanged.
 */
let backend: OtlpHttpBackend;
let gateway: GatewayProcess | undefined;
let ports: Record<'grpc' | 'http' | 'health' | 'metrics', number>;
let configPath: string;

beforeAll(async () => {
  backend = await OtlpHttpBackend.start({ requiredHeaders: { 'x-tenant': 'acme' } });
  ports = { grpc: await freePort(), http: await freePort(), health: await freePort(), metrics: await freePort() };
  const dir = mkdtempSync(join(tmpdir(), 'collector-cfg-'));
  configPath = writeConfig(
    `
extensions:
  health_check:
    endpoint: 127.0.0.1:${ports.health}
  file_storage:
    directory: ${dir}/storage
    timeout: 1s

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${ports.grpc}
      http:
        endpoint: 127.0.0.1:${ports.http}
        cors:
          allowed_origins: ["https://*.example.com"]

processors:
  memory_limiter:
    check_interval: 1s
    limit_mib: 4000
    spike_limit_mib: 800
  batch:
    send_batch_size: 10000
    timeout: 10s
  batch/fast:
    timeout: 100ms
  attributes/insert:
    actions:
      - key: environment
        value: production
        action: insert
      - key: db.statement
        action: delete
      - key: user.email
        action: hash
  resource:
    attributes:
      - key: cloud.zone
        value: zone-1
        action: upsert
      - key: k8s.cluster.name
        from_attribute: k8s-cluster
        action: insert

exporters:
  otlphttp:
    endpoint: ${backend.url}
    headers:
      x-tenant: acme
    compression: gzip
    timeout: 10s
    sending_queue:
      enabled: true
      num_consumers: 4
      queue_size: 5000
      storage: file_storage
      batch:
        flush_timeout: 100ms
        min_size: 1000
        max_size: 5000
    retry_on_failure:
      enabled: true
      initial_interval: 1s
      max_interval: 30s
      max_elapsed_time: 300s
  debug:
    verbosity: detailed
    sampling_initial: 5
    sampling_thereafter: 200
  file:
    path: ${dir}/logs.json
    rotation:
      max_megabytes: 10
      max_days: 3
      max_backups: 3
      localtime: true

service:
  extensions: [health_check, file_storage]
  pipelines:
    logs:
      receivers: [otlp]
      processors: [memory_limiter, attributes/insert, resource, batch/fast]
      exporters: [otlphttp, file]
    logs/debug:
      receivers: [otlp]
      processors: [batch]
      exporters: [debug]
  telemetry:
    logs:
      level: info
    metrics:
      level: detailed
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: ${ports.metrics}
`,
    dir,
  );
});

afterAll(async () => {
  await gateway?.stop();
  await backend?.close();
});

describe('a Collector configuration runs unchanged', () => {
  it('passes validate', async () => {
    const r = await runCli(['validate', '--config', configPath]);
    // Only the warning that logs/debug's batch (timeout 10s, in front of an in-memory queue) holds replies.
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^warning: service\.pipelines\.logs\/debug: processor batch holds/)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pipeline logs: receivers [otlp] → processors [memory_limiter, attributes/insert, resource, batch/fast] → exporters [otlphttp, file]');
  });

  it('runs: health is ready, a log flows through the processors to the backend, metrics are served', async () => {
    gateway = await startGateway(configPath);
    const health = await fetch(`http://127.0.0.1:${ports.health}/`);
    expect(health.status).toBe(200);

    const res = await fetch(`http://127.0.0.1:${ports.http}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'k8s-cluster', value: { stringValue: 'prod-eu' } }] },
            scopeLogs: [{ logRecords: [{ body: { stringValue: 'hello' }, attributes: [{ key: 'db.statement', value: { stringValue: 'SELECT 1' } }, { key: 'user.email', value: { stringValue: 'a@b.c' } }] }] }],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    await backend.waitForRecords(1);
    const [req] = backend.requests;
    const resAttrs = Object.fromEntries(req.logs.resourceLogs[0].resource!.attributes.map((a) => [a.key, a.value?.stringValue]));
    expect(resAttrs).toMatchObject({ 'cloud.zone': 'zone-1', 'k8s.cluster.name': 'prod-eu' });
    const rec = req.logs.resourceLogs[0].scopeLogs[0].logRecords[0];
    const attrs = Object.fromEntries(rec.attributes.map((a) => [a.key, a.value?.stringValue]));
    expect(attrs.environment).toBe('production');
    expect(attrs['db.statement']).toBeUndefined();
    expect(attrs['user.email']).toMatch(/^[0-9a-f]{64}$/);

    const metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
    expect(metrics).toMatch(/otelcol_receiver_accepted_log_records_total\{receiver="otlp",transport="http"\} 1/);
    expect(metrics).toMatch(/otelcol_exporter_sent_log_records_total\{exporter="otlphttp"\} 1/);

    expect(await gateway.stop()).toBe(0);
    const after = await fetch(`http://127.0.0.1:${ports.health}/`).catch(() => undefined);
    expect(after).toBeUndefined();
  });
});
