import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 19, connectors: one gateway serving several tenants. Two Make organizations' services send
 * through the official OpenTelemetry JS SDK exporter; the routing connector sends each
 * organization's records to its own backend with its own credentials (strict fakes that answer 401
 * to anything else), the rest to a default backend; a client is acknowledged only after its part
 * was committed.
 */
let acme: OtlpHttpBackend;
let globex: OtlpHttpBackend;
let ops: OtlpHttpBackend;
let gateway: GatewayProcess;
let port: number;

beforeAll(async () => {
  [acme, globex, ops] = await Promise.all([
    OtlpHttpBackend.start({ requiredHeaders: { authorization: 'Bearer acme-token' } }),
    OtlpHttpBackend.start({ requiredHeaders: { authorization: 'Bearer globex-token' } }),
    OtlpHttpBackend.start({ requiredHeaders: { 'x-ops': 'yes' } }),
  ]);
  port = await freePort();
  const metrics = await freePort();
  const config = writeConfig(`
receivers:
  otlp: { protocols: { http: { endpoint: "127.0.0.1:${port}", include_metadata: true } } }
extensions:
  bearertokenauth/acme: { token: acme-token }
  bearertokenauth/globex: { token: globex-token }
exporters:
  otlphttp/acme: { endpoint: "${acme.url}", auth: { authenticator: bearertokenauth/acme } }
  otlphttp/globex: { endpoint: "${globex.url}", auth: { authenticator: bearertokenauth/globex } }
  otlphttp/ops: { endpoint: "${ops.url}", headers: { x-ops: "yes" } }
connectors:
  routing:
    default_pipelines: [logs/ops]
    table:
      - condition: resource.attributes["make.organization.id"] == 1001
        pipelines: [logs/acme]
      - statement: route() where resource.attributes["make.organization.id"] == 1002
        pipelines: [logs/globex]
      - context: request
        condition: request["X-Tenant"] == "globex"
        pipelines: [logs/globex]
service:
  extensions: [bearertokenauth/acme, bearertokenauth/globex]
  telemetry: { metrics: { address: "127.0.0.1:${metrics}" } }
  pipelines:
    logs/in: { receivers: [otlp], exporters: [routing] }
    logs/acme: { receivers: [routing], exporters: [otlphttp/acme] }
    logs/globex: { receivers: [routing], exporters: [otlphttp/globex] }
    logs/ops: { receivers: [routing], exporters: [otlphttp/ops] }
`);
  gateway = await startGateway(config);
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([acme?.close(), globex?.close(), ops?.close()]);
});

async function send(org: number | undefined, body: string, headers?: Record<string, string>): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(org === undefined ? { 'service.name': 'ops' } : { 'service.name': `org-${org}`, 'make.organization.id': org }),
    processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${port}/v1/logs`, headers }) })],
  });
  provider.getLogger('tenant').emit({ body });
  await provider.forceFlush();
  await provider.shutdown();
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for delivery');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const bodies = (b: OtlpHttpBackend) => b.records().map((r) => r.body?.stringValue);

describe('routing connector through the built gateway', () => {
  it("delivers each organization's records to its own backend with its own credentials, the rest to the default", async () => {
    await send(1001, 'acme record');
    await send(1002, 'globex record');
    await send(undefined, 'no organization');
    await until(() => acme.records().length === 1 && globex.records().length === 1 && ops.records().length === 1);
    expect(bodies(acme)).toEqual(['acme record']);
    expect(bodies(globex)).toEqual(['globex record']);
    expect(bodies(ops)).toEqual(['no organization']);
  }, 60_000);

  it('routes a whole request by its client\'s X-Tenant header (context: request, include_metadata on the receiver)', async () => {
    await send(undefined, 'tenant by header', { 'X-Tenant': 'globex' });
    await send(undefined, 'other tenant by header', { 'X-Tenant': 'nobody' });
    await until(() => globex.records().length === 2 && ops.records().length === 2);
    expect(bodies(globex)).toEqual(['globex record', 'tenant by header']);
    expect(bodies(ops)).toEqual(['no organization', 'other tenant by header']);
  }, 60_000);
});
