import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { newLogRecord, type Logs } from '../../src/pdata/model.js';
import { decodeLogs, encodeLogs } from '../../src/pdata/proto.js';
import { attr } from '../../src/pdata/values.js';
import { Service } from '../../src/pipeline/service.js';
import { defaultRegistry } from '../../src/registry.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { freePort } from '../helpers/ports.js';

/**
 * The gateway forwards a received OTLP protobuf request's own bytes when nothing changed it
 * (docs/architecture.md §10), and must never forward them once a processor may have changed the records.
 */

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A strict OTLP/HTTP backend: protobuf on /v1/logs only; records every body it accepted. */
async function backend(): Promise<{ url: string; bodies: Buffer[] }> {
  const bodies: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/logs' || req.headers['content-type'] !== 'application/x-protobuf') {
        res.writeHead(404).end();
        return;
      }
      bodies.push(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

async function gateway(backendUrl: string, processors: string): Promise<number> {
  const port = await freePort();
  const text = `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:${port}" } } } }
processors: { attributes: { actions: [ { key: team, value: checkout, action: insert } ] } }
exporters: { otlphttp: { endpoint: "${backendUrl}", compression: none } }
service:
  pipelines:
    logs: { receivers: [otlp], processors: ${processors}, exporters: [otlphttp] }
  telemetry: { metrics: { level: none } }
`;
  const svc = new Service(validateConfig(parseConfigText(text, 'wire-bytes.yaml'), defaultRegistry), new Telemetry({ processMetrics: false }), silentLogger);
  await svc.start();
  cleanup.push(() => svc.shutdown());
  return port;
}

/** A request as an SDK might write it, with an unknown field (99) the gateway's own encoder would drop. */
function request(): Uint8Array {
  const logs: Logs = {
    resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord({ severityText: 'INFO', body: { stringValue: 'hello' }, attributes: [attr('k', 'v')] })] }] }],
  };
  const known = encodeLogs(logs);
  return Buffer.concat([known, Buffer.from([0x9a, 0x06, 0x01, 0x2a])]); // field 99, wire type 2, 1 byte
}

async function post(port: number, body: Uint8Array): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
  await res.arrayBuffer();
  return res.status;
}

async function delivered(bodies: Buffer[]): Promise<Buffer> {
  for (let i = 0; i < 200 && bodies.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(bodies).toHaveLength(1);
  return bodies[0];
}

describe('forwarding the received protobuf bytes', () => {
  it('sends an unchanged request to an OTLP/HTTP backend byte for byte as it arrived', async () => {
    const b = await backend();
    const port = await gateway(b.url, '[]');
    const body = request();
    expect(await post(port, body)).toBe(200);
    expect(Buffer.compare(await delivered(b.bodies), Buffer.from(body))).toBe(0);
  });

  it('sends what a processor changed, never the stale received bytes', async () => {
    const b = await backend();
    const port = await gateway(b.url, '[attributes]');
    expect(await post(port, request())).toBe(200);
    const sent = decodeLogs(await delivered(b.bodies));
    const attributes = sent.resourceLogs[0].scopeLogs[0].logRecords[0].attributes.map((a) => a.key);
    expect(attributes).toEqual(['k', 'team']);
  });
});
