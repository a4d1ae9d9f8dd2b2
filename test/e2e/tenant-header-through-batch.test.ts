import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * The headers_setter README's pattern, on logs: a tenant header from each client goes on to the
 * backend with that client's records, through a `batch` processor that holds records (in-memory
 * queue, timeout 300ms) and keeps them apart by `metadata_keys`, as the Collector's does. Each
 * tenant's records reach the backend only in requests that carry its own header.
 */
let backend: OtlpHttpBackend;
let gateway: GatewayProcess;
let port: number;

beforeAll(async () => {
  backend = await OtlpHttpBackend.start();
  port = await freePort();
  gateway = await startGateway(
    writeConfig(`
extensions:
  headers_setter:
    headers:
      - action: upsert
        key: X-Scope-OrgID
        from_context: x-tenant
        default_value: no-tenant
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:${port}", include_metadata: true }
processors:
  batch:
    timeout: 300ms
    metadata_keys: [X-Tenant]
exporters:
  otlphttp:
    endpoint: ${backend.url}
    auth: { authenticator: headers_setter }
service:
  extensions: [headers_setter]
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], processors: [batch], exporters: [otlphttp] }
`),
  );
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await backend?.close();
});

async function send(tenant: string | undefined, bodies: string[]): Promise<void> {
  const exporter = new OTLPLogExporter({ url: `http://127.0.0.1:${port}/v1/logs`, headers: tenant ? { 'X-Tenant': tenant } : {} });
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  for (const body of bodies) provider.getLogger('t').emit({ body });
  await provider.forceFlush();
  await provider.shutdown();
}

describe('a tenant header through a batch processor with metadata_keys', () => {
  it("sends each tenant's records with its own X-Scope-OrgID, never mixed, and the default for a client without one", async () => {
    await Promise.all([send('acme', ['a1', 'a2', 'a3']), send('globex', ['g1', 'g2']), send(undefined, ['n1'])]);
    await expect.poll(() => backend.recordCount(), { timeout: 15_000 }).toBe(6);
    const byTenant = new Map<string, string[]>();
    for (const r of backend.requests) {
      const tenant = String(r.headers['x-scope-orgid']);
      const bodies = r.logs.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((l) => String(l.body?.stringValue))));
      byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), ...bodies]);
    }
    expect(Object.fromEntries([...byTenant].map(([t, b]) => [t, b.sort()]))).toEqual({ acme: ['a1', 'a2', 'a3'], globex: ['g1', 'g2'], 'no-tenant': ['n1'] });
  }, 60_000);
});
