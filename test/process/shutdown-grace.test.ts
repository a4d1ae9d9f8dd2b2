import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeLogs } from '../../src/pdata/proto.js';
import { makeLogs } from '../processors/batch/fixtures.js';
import { grpcExportRaw } from '../receivers/otlp/harness.js';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 15, acceptance 3: SIGTERM ends the gateway within `service.shutdown_grace_period` + 5 s
 * even while clients wait on a full blocking queue whose backend is down. The waiting clients get
 * 503 (they resend), and what was acknowledged before stays queued and is delivered after the
 * restart. Reproduces the defect where the process ran ~150 s after SIGTERM, until the clients
 * dropped their connections.
 */

const API_KEY = 'whk-grace-test-key';
const GRACE_MS = 3_000;
const QUEUE_SIZE = 5;
const WAITING = 20;

let backend: OtlpHttpBackend | undefined;
let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.kill9();
  await backend?.close();
  gateway = backend = undefined;
});

async function config(backendUrl: string, storageDir: string) {
  const hookPort = await freePort();
  const path = writeConfig(`
receivers:
  make:
    webhook:
      endpoint: 127.0.0.1:${hookPort}
      path: /hook
      api_key: ${API_KEY}
exporters:
  otlphttp:
    endpoint: ${backendUrl}
    compression: none
    timeout: 1s
    sending_queue:
      storage: file_storage
      num_consumers: 1
      queue_size: ${QUEUE_SIZE}
      block_on_overflow: true
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 200ms
      max_elapsed_time: 0
extensions:
  file_storage:
    directory: ${storageDir}
service:
  shutdown_grace_period: ${GRACE_MS / 1000}s
  extensions: [file_storage]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [make]
      exporters: [otlphttp]
`);
  return { path, hookUrl: `http://127.0.0.1:${hookPort}/hook` };
}

/** One webhook call as a Make scenario's HTTP module makes it (keep-alive, as fetch does). */
async function post(url: string, message: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-make-apikey': API_KEY }, body: JSON.stringify({ message }) });
  await res.arrayBuffer();
  return res.status;
}

describe('shutdown grace period, through the gateway process', () => {
  it('exits 0 within the grace period + 5 s on SIGTERM while 20 requests wait on a full blocking queue, answering them 503 and losing nothing acknowledged', async () => {
    backend = await OtlpHttpBackend.start();
    await backend.goDown('refuse');
    const storageDir = join(mkdtempSync(join(tmpdir(), 'mog-grace-')), 'queue');
    const { path, hookUrl } = await config(backend.url, storageDir);
    gateway = await startGateway(path);

    const acknowledged: string[] = [];
    for (let i = 0; i < QUEUE_SIZE; i++) {
      expect(await post(hookUrl, `acked-${i}`)).toBe(200);
      acknowledged.push(`acked-${i}`);
    }
    // The queue is full and its backend down: these wait for room.
    const answers: (number | string)[] = [];
    const waiting = Array.from({ length: WAITING }, (_, i) =>
      post(hookUrl, `waiting-${i}`).then(
        (status) => void answers.push(status),
        (err: Error) => void answers.push(`error: ${err.message}`),
      ),
    );
    // Give every request time to reach the gateway; none may be answered while there is no room.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(answers).toEqual([]);

    const sigtermAt = Date.now();
    const code = await gateway.stop();
    const exitedAfterMs = Date.now() - sigtermAt;
    await Promise.all(waiting);

    expect(code).toBe(0);
    expect(exitedAfterMs).toBeLessThan(GRACE_MS + 5_000);
    expect(answers).toHaveLength(WAITING);
    expect(answers.every((a) => a === 503)).toBe(true);
    expect(gateway.stderr()).toContain('shutdown grace period passed');
    expect(gateway.stderr()).not.toContain(API_KEY);

    // Nothing acknowledged lost: after a restart with the backend up, every acknowledged record arrives.
    await backend.comeUp();
    gateway = await startGateway(path);
    await backend.waitForRecords(QUEUE_SIZE, 30_000);
    const delivered = backend.records().map((r) => r.body?.stringValue);
    for (const body of acknowledged) expect(delivered).toContain(body);
    expect(await gateway.stop()).toBe(0);
  });

  it('answers OTLP/HTTP clients 503 and OTLP/gRPC clients UNAVAILABLE when the grace period ends their wait, and exits 0 in time', async () => {
    backend = await OtlpHttpBackend.start();
    await backend.goDown('refuse');
    const storageDir = join(mkdtempSync(join(tmpdir(), 'mog-grace-')), 'queue');
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    const path = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
      grpc:
        endpoint: 127.0.0.1:${grpcPort}
exporters:
  otlphttp:
    endpoint: ${backend.url}
    compression: none
    sending_queue:
      storage: file_storage
      num_consumers: 1
      queue_size: 2
      block_on_overflow: true
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 200ms
      max_elapsed_time: 0
extensions:
  file_storage:
    directory: ${storageDir}
service:
  shutdown_grace_period: ${GRACE_MS / 1000}s
  extensions: [file_storage]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp]
`);
    gateway = await startGateway(path);
    const body = () => Buffer.from(encodeLogs(makeLogs(3)));
    const postHttp = () => fetch(`http://127.0.0.1:${httpPort}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: body() }).then((r) => r.status);
    expect(await postHttp()).toBe(200);
    expect(await postHttp()).toBe(200);

    const http = Array.from({ length: 5 }, postHttp);
    const grpc = Array.from({ length: 5 }, () => grpcExportRaw(`127.0.0.1:${grpcPort}`, encodeLogs(makeLogs(3))).then((r) => r.error?.code));
    await new Promise((r) => setTimeout(r, 1_500));
    const sigtermAt = Date.now();
    const code = await gateway.stop();
    expect(Date.now() - sigtermAt).toBeLessThan(GRACE_MS + 5_000);
    expect(code).toBe(0);
    expect(await Promise.all(http)).toEqual([503, 503, 503, 503, 503]);
    expect(await Promise.all(grpc)).toEqual(Array(5).fill(GrpcStatus.UNAVAILABLE));
  });
});
