import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportResultCode } from '@opentelemetry/core';
import { Metadata } from '@grpc/grpc-js';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { LoggerProvider, type LogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 19: `from_context`. A tenant header on the incoming request (receiver `include_metadata:
 * true`) becomes a record attribute (attributes processor, `metadata.x-tenant`) and is forwarded
 * to the backend as a header (headers_setter `from_context`), each request with its own client's
 * value — also after the request waited in the persistent queue through a backend outage and a
 * kill -9 of the gateway. Headers the config does not name (the client's Authorization) are neither
 * forwarded nor stored.
 */

const CLIENT_SECRET = 'client-secret-4f9a2c';

let backend: OtlpHttpBackend | undefined;
let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.kill9();
  await backend?.close();
  gateway = backend = undefined;
});

async function configFor(backendUrl: string): Promise<{ path: string; receiverPort: number; grpcPort: number; storageDir: string }> {
  const receiverPort = await freePort();
  const grpcPort = await freePort();
  const storageDir = join(mkdtempSync(join(tmpdir(), 'mog-ctx-')), 'queue');
  const path = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${receiverPort}
        include_metadata: true
      grpc:
        endpoint: 127.0.0.1:${grpcPort}
        include_metadata: true
processors:
  attributes/tenant:
    actions:
      - key: tenant
        from_context: metadata.x-tenant
        default_value: unknown
        action: upsert
      - key: peer
        from_context: client.address
        action: insert
exporters:
  otlphttp:
    endpoint: ${backendUrl}
    compression: none
    timeout: 2s
    auth:
      authenticator: headers_setter
    sending_queue:
      storage: file_storage
      num_consumers: 2
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 200ms
      max_elapsed_time: 0
extensions:
  file_storage:
    directory: ${storageDir}
  headers_setter:
    headers:
      - key: X-Scope-OrgID
        from_context: x-tenant
        action: upsert
service:
  extensions: [file_storage, headers_setter]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      processors: [attributes/tenant]
      exporters: [otlphttp]
`);
  return { path, receiverPort, grpcPort, storageDir };
}

/** Sends `count` records, one export each, as a client of `tenant` (no tenant header when undefined). */
async function send(receiverPort: number, tenant: string | undefined, count: number, transport: 'http' | 'grpc' = 'http'): Promise<void> {
  // Every client also authenticates: that header must stay with the gateway, in memory only.
  const headers: Record<string, string> = { Authorization: `Bearer ${CLIENT_SECRET}`, ...(tenant === undefined ? {} : { 'X-Tenant': tenant }) };
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
  const exporter =
    transport === 'http'
      ? new ProtoLogExporter({ url: `http://127.0.0.1:${receiverPort}/v1/logs`, headers })
      : new GrpcLogExporter({ url: `http://127.0.0.1:${receiverPort}`, metadata });
  const results: ExportResultCode[] = [];
  const pending: Promise<void>[] = [];
  const processor: LogRecordProcessor = {
    onEmit: (record) => {
      pending.push(new Promise<void>((resolve) => exporter.export([record as ReadableLogRecord], (r) => (results.push(r.code), resolve()))));
    },
    forceFlush: async () => {
      await Promise.all(pending);
    },
    shutdown: () => exporter.shutdown(),
  };
  const provider = new LoggerProvider({ processors: [processor] });
  const logger = provider.getLogger('from-context');
  for (let i = 0; i < count; i++) logger.emit({ body: `${tenant ?? 'none'}-${i}` });
  await provider.forceFlush();
  await provider.shutdown();
  expect(results).toEqual(Array.from({ length: count }, () => ExportResultCode.SUCCESS));
}

/** Every request the backend accepted: its X-Scope-OrgID header, and each record's body and tenant attribute. */
function received(b: OtlpHttpBackend) {
  return b.requests.flatMap((r) =>
    r.logs.resourceLogs.flatMap((rl) =>
      rl.scopeLogs.flatMap((sl) =>
        sl.logRecords.map((lr) => ({
          header: r.headers['x-scope-orgid'],
          authorization: r.headers.authorization,
          body: lr.body?.stringValue,
          tenant: lr.attributes.find((kv) => kv.key === 'tenant')?.value?.stringValue,
          peer: lr.attributes.find((kv) => kv.key === 'peer')?.value?.stringValue,
        })),
      ),
    ),
  );
}

describe('from_context through the gateway process', () => {
  it('sets the attribute and forwards the header per client, and never a header the config did not name', async () => {
    backend = await OtlpHttpBackend.start();
    const { path, receiverPort, grpcPort } = await configFor(backend.url);
    gateway = await startGateway(path);
    await send(receiverPort, 'acme', 3);
    await send(grpcPort, 'globex', 2, 'grpc');
    await send(receiverPort, undefined, 1);
    await backend.waitForRecords(6, 15_000);
    expect(await gateway.stop()).toBe(0);

    const got = received(backend).sort((a, b) => a.body!.localeCompare(b.body!));
    expect(got.map((g) => [g.body, g.tenant, g.header])).toEqual([
      ['acme-0', 'acme', 'acme'],
      ['acme-1', 'acme', 'acme'],
      ['acme-2', 'acme', 'acme'],
      // Sent over OTLP/gRPC: its metadata counts the same.
      ['globex-0', 'globex', 'globex'],
      ['globex-1', 'globex', 'globex'],
      // No tenant header: the attribute takes default_value and the header is not set.
      ['none-0', 'unknown', undefined],
    ]);
    // Only the headers the config names are forwarded; client.address is the loopback peer.
    expect(got.every((g) => g.authorization === undefined)).toBe(true);
    const overHttp = got.filter((g) => !g.body!.startsWith('globex'));
    expect(overHttp.every((g) => g.peer === '127.0.0.1' || g.peer === '::ffff:127.0.0.1')).toBe(true);
  });

  it('keeps each queued request with its own client metadata through an outage and a kill -9', async () => {
    backend = await OtlpHttpBackend.start();
    await backend.goDown('refuse');
    const { path, receiverPort, storageDir } = await configFor(backend.url);
    gateway = await startGateway(path);
    await send(receiverPort, 'acme', 4);
    await send(receiverPort, 'globex', 4);
    await gateway.kill9();
    // On disk, each request keeps the metadata headers_setter reads, and nothing else of the client's headers.
    const stored = readdirSync(storageDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(join(e.parentPath, e.name)).toString('latin1'))
      .join('');
    expect(stored).toContain('"x-tenant":"acme"');
    expect(stored).not.toContain(CLIENT_SECRET);

    await backend.comeUp();
    gateway = await startGateway(path);
    await backend.waitForRecords(8, 30_000);
    expect(await gateway.stop()).toBe(0);

    const got = received(backend);
    const unique = new Map(got.map((g) => [g.body, g]));
    expect(unique.size).toBe(8);
    for (const g of got) {
      const owner = g.body!.split('-')[0];
      expect(g.header).toBe(owner);
      expect(g.tenant).toBe(owner);
    }
    // What the gateway sent is plain OTLP: the metadata it queued with each request is not in the body.
    for (const r of backend.requests) expect(r.records).toBe(r.logs.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords)).length);
  });
});
