import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyValue, LogRecord } from '../../src/pdata/model.js';
import { fromAnyValue } from '../../src/pdata/values.js';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * The `make` receiver's webhook alone (no polling) in the real gateway process, as a Make
 * scenario's HTTP module calls it (docs/make-receiver.md "Webhook"): an
 * execution-shaped object maps like a polled execution, free-form objects map by
 * message/level/timestamp, refused requests (401, 400) deliver nothing.
 */

const API_KEY = `whk-${randomBytes(12).toString('hex')}`;
const PATH = '/make';

let backend: OtlpHttpBackend;
let gateway: GatewayProcess;
let hookUrl: string;
let metricsPort: number;
let configPath: string | undefined;

beforeAll(async () => {
  backend = await OtlpHttpBackend.start();
  const [hookPort, mPort] = [await freePort(), await freePort()];
  metricsPort = mPort;
  hookUrl = `http://127.0.0.1:${hookPort}${PATH}`;
  configPath = writeConfig(`
receivers:
  make:
    webhook:
      endpoint: 127.0.0.1:${hookPort}
      path: ${PATH}
      api_key: \${env:MAKE_WEBHOOK_KEY}
processors:
  batch:
    timeout: 100ms
exporters:
  otlphttp:
    endpoint: ${backend.url}
service:
  pipelines:
    logs:
      receivers: [make]
      processors: [batch]
      exporters: [otlphttp]
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
`);
  gateway = await startGateway(configPath, { MAKE_WEBHOOK_KEY: API_KEY });
});

afterAll(async () => {
  await gateway?.stop();
  await backend?.close();
  if (configPath) rmSync(dirname(configPath), { recursive: true, force: true });
});

function post(body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(hookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

function plain(kvs: KeyValue[]): Record<string, unknown> {
  return Object.fromEntries(kvs.map((kv) => [kv.key, fromAnyValue(kv.value)]));
}

function delivered(): { resource: Record<string, unknown>; record: LogRecord; attributes: Record<string, unknown> }[] {
  return backend.requests.flatMap((req) =>
    req.logs.resourceLogs.flatMap((rl) =>
      rl.scopeLogs.flatMap((sl) => sl.logRecords.map((record) => ({ resource: plain(rl.resource?.attributes ?? []), record, attributes: plain(record.attributes) }))),
    ),
  );
}

async function metricsText(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
}

const execution = {
  scenarioId: 4242,
  scenarioName: 'Invoice push',
  id: 'da518a6b1b1d4f2c9e0a3b7c5d8e1f20',
  imtId: '1767225600000_scenario.4242.auto.da518a6b1b1d4f2c9e0a3b7c5d8e1f20',
  status: 3,
  duration: 19979,
  operations: 10,
  centicredits: 1000,
  transfer: 4096,
  organizationId: 21,
  teamId: 27,
  type: 'auto',
  authorId: null,
  instant: false,
  timestamp: '2026-01-01T00:00:00.000Z',
};

const freeForm = [
  { message: 'Payment failed for order 17', level: 'error', timestamp: '2026-01-02T03:04:05.678Z', orderId: 17, customer: { tier: 'gold' } },
  { msg: 'retrying the payment', severity: 'warn', timestamp: 1767225600, attempt: 2 },
];

describe('make webhook, through the gateway process', () => {
  it('refuses a wrong or missing key with 401 and malformed or partly invalid JSON with 400, delivering nothing of them', async () => {
    const wrong = await post(JSON.stringify({ message: 'refused: wrong key' }), { 'x-make-apikey': 'not-the-key' });
    expect(wrong.status).toBe(401);
    const wrongBearer = await post(JSON.stringify({ message: 'refused: wrong bearer' }), { authorization: 'Bearer not-the-key' });
    expect(wrongBearer.status).toBe(401);
    const missing = await post(JSON.stringify({ message: 'refused: no key' }), {});
    expect(missing.status).toBe(401);
    const malformed = await post('{"message": "refused: malformed",', { 'x-make-apikey': API_KEY });
    expect(malformed.status).toBe(400);
    // Accepted whole or not at all: the valid first element must not slip through.
    const partly = await post(JSON.stringify([{ message: 'refused: part of a bad array' }, 42]), { 'x-make-apikey': API_KEY });
    expect(partly.status).toBe(400);
    expect(await partly.json()).toEqual({ error: expect.stringMatching(/element 1/) });

    // Sent after the refusals, through the same batch: once it is delivered, anything the
    // refused requests had let in would have been delivered too.
    const marker = await post(JSON.stringify({ message: 'accepted: marker' }), { 'x-make-apikey': API_KEY });
    expect(marker.status).toBe(200);
    await backend.waitForRecords(1);
    expect(delivered().map((d) => d.record.body?.stringValue)).toEqual(['accepted: marker']);
    const metrics = await metricsText();
    expect(metrics).toMatch(/gateway_receiver_refused_requests_total\{[^}]*status="401"[^}]*\} 3/);
    expect(metrics).toMatch(/gateway_receiver_refused_requests_total\{[^}]*status="400"[^}]*\} 2/);
  });

  it('maps an execution-shaped object exactly like a polled execution', async () => {
    const res = await post(JSON.stringify(execution), { 'x-make-apikey': API_KEY });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0 });
    await backend.waitForRecords(2);
    const d = delivered().find((x) => x.attributes['make.execution.id'] === execution.id)!;
    expect(d.resource).toEqual({
      'service.name': 'make',
      'make.organization.id': 21n,
      'make.team.id': 27n,
      'make.scenario.id': 4242n,
      'make.scenario.name': 'Invoice push',
    });
    expect(d.record.eventName).toBe('make.scenario.execution');
    expect(d.record.severityNumber).toBe(17);
    expect(d.record.severityText).toBe('ERROR');
    expect(d.record.timeUnixNano).toBe(BigInt(Date.parse(execution.timestamp)) * 1_000_000n);
    expect(d.record.observedTimeUnixNano).toBeGreaterThan(d.record.timeUnixNano);
    expect(d.record.body?.stringValue).toBe(`Scenario "Invoice push" execution ${execution.id}: error, 19979 ms, 10 operations`);
    expect(d.attributes).toEqual({
      'make.execution.id': execution.id,
      'make.execution.imt_id': execution.imtId,
      'make.execution.status': 'error',
      'make.execution.type': 'auto',
      'make.execution.duration_ms': 19979n,
      'make.execution.operations': 10n,
      'make.execution.transfer_bytes': 4096n,
      'make.execution.centicredits': 1000n,
      'make.execution.instant': false,
    });
  });

  it('maps an array of free-form objects: message/msg to body, level/severity to severity, timestamp to time, the rest to attributes', async () => {
    const res = await post(JSON.stringify(freeForm), { 'x-make-apikey': API_KEY });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 2, duplicates: 0 });
    await backend.waitForRecords(4);
    const byBody = (b: string) => delivered().find((x) => x.record.body?.stringValue === b)!;
    const payment = byBody('Payment failed for order 17');
    expect(payment.resource).toEqual({ 'service.name': 'make' });
    expect(payment.record.severityNumber).toBe(17);
    expect(payment.record.severityText).toBe('ERROR');
    expect(payment.record.timeUnixNano).toBe(BigInt(Date.parse('2026-01-02T03:04:05.678Z')) * 1_000_000n);
    expect(payment.record.eventName).toBe('');
    expect(payment.attributes).toEqual({ orderId: 17n, customer: { tier: 'gold' } });
    const retry = byBody('retrying the payment');
    expect(retry.record.severityNumber).toBe(13);
    expect(retry.record.severityText).toBe('WARN');
    expect(retry.record.timeUnixNano).toBe(1767225600n * 1_000_000_000n);
    expect(retry.attributes).toEqual({ attempt: 2n });
  });

  it('accepts the key as Authorization: Bearer', async () => {
    const res = await post(JSON.stringify({ message: 'via bearer', level: 'info' }), { authorization: `Bearer ${API_KEY}` });
    expect(res.status).toBe(200);
    await backend.waitForRecords(5);
    const d = delivered().find((x) => x.record.body?.stringValue === 'via bearer')!;
    expect([d.record.severityNumber, d.record.severityText]).toEqual([9, 'INFO']);
  });

  it('delivered each accepted record once, never the refused ones, and never shows the key', async () => {
    const bodies = delivered().map((d) => d.record.body?.stringValue ?? '');
    expect(bodies.filter((b) => b.startsWith('refused'))).toEqual([]);
    expect(bodies).toHaveLength(5);
    expect(new Set(bodies).size).toBe(5);
    const metrics = await metricsText();
    expect(metrics).toMatch(/otelcol_receiver_accepted_log_records_total\{[^}]*transport="http"[^}]*\} 5/);
    expect(metrics).not.toContain(API_KEY);
    expect(gateway.stderr()).not.toContain(API_KEY);
  });

  it('stops on SIGTERM with exit code 0 and closes the webhook port', async () => {
    expect(await gateway.stop()).toBe(0);
    await expect(post('{}', { 'x-make-apikey': API_KEY })).rejects.toThrow();
  });
});
