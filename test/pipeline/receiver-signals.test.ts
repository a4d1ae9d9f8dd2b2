import { Agent, request } from 'node:http';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeLogs } from '../../src/pdata/proto.js';
import { cancelledError } from '../../src/pipeline/cancellation.js';
import type { LogsConsumer } from '../../src/pipeline/component.js';
import type { Logs } from '../../src/pdata/model.js';
import { makeLogs } from '../processors/batch/fixtures.js';
import { startReceiver as startMakeReceiver, storageHost, type Harness } from '../receivers/make/helpers.js';
import { EXPORT_METHOD, startReceiver as startOtlpReceiver, stopAll, type Running } from '../receivers/otlp/harness.js';

/**
 * Receivers hand `consume` a signal that aborts when the client goes away (HTTP connection closed,
 * gRPC call cancelled, webhook caller gone), so a request waiting downstream (a full blocking
 * queue) ends instead of waiting for nobody (docs/delivery.md, "Cancellation").
 */

/** Waits in consume until its signal aborts, then refuses as a cancelled wait does. */
class WaitsForCancel implements LogsConsumer {
  readonly signals: AbortSignal[] = [];
  readonly cancelled: Logs[] = [];

  consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    if (!signal) return Promise.reject(new Error('no signal handed to consume'));
    this.signals.push(signal);
    return new Promise((_resolve, reject) =>
      signal.addEventListener('abort', () => {
        this.cancelled.push(logs);
        reject(cancelledError(signal));
      }),
    );
  }
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** POSTs `body`, and destroys the connection once the receiver is waiting downstream. */
async function postThenHangUp(url: string, body: Buffer, headers: Record<string, string>, waiting: () => boolean): Promise<void> {
  const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } });
  req.on('error', () => {});
  req.end(body);
  await eventually(waiting, 'the request to wait downstream');
  req.destroy();
}

let otlp: Running | undefined;
let make: Harness | undefined;
afterEach(async () => {
  await stopAll([otlp?.receiver, make?.receiver]);
  otlp = make = undefined;
});

describe('cancellation signals from receivers', () => {
  it('OTLP/HTTP: aborts the signal when the client closes the connection, and keeps serving', async () => {
    otlp = await startOtlpReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const next = new WaitsForCancel();
    const running = otlp;
    // The harness's consumer is replaced by one that waits for cancellation.
    running.next.consume = (logs: Logs, signal?: AbortSignal) => next.consume(logs, signal);
    await postThenHangUp(`${running.httpUrl}/v1/logs`, Buffer.from(encodeLogs(makeLogs(2))), { 'content-type': 'application/x-protobuf' }, () => next.signals.length === 1);
    await eventually(() => next.signals[0]!.aborted, 'the signal to abort');
    expect(next.cancelled).toHaveLength(1);
    // Still serving: a later request gets its answer.
    running.next.consume = async () => {};
    const res = await fetch(`${running.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from(encodeLogs(makeLogs(1))) });
    expect(res.status).toBe(200);
  });

  it('OTLP/HTTP: on a kept-alive connection, aborts only for the request left unanswered when it closes', async () => {
    otlp = await startOtlpReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const running = otlp;
    const answered: AbortSignal[] = [];
    running.next.consume = async (_logs: Logs, signal?: AbortSignal) => void answered.push(signal!);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const body = Buffer.from(encodeLogs(makeLogs(1)));
    const post = () =>
      new Promise<{ status: number; port: number }>((resolve, reject) => {
        const req = request(`${running.httpUrl}/v1/logs`, { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': String(body.length) } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, port: req.socket!.localPort! }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const first = await post();
    const second = await post();
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.port).toBe(first.port); // one connection
    // The third waits downstream; the client hangs up: only now does the signal abort.
    const next = new WaitsForCancel();
    running.next.consume = (logs: Logs, signal?: AbortSignal) => next.consume(logs, signal);
    const third = post().catch(() => undefined);
    await eventually(() => next.signals.length === 1, 'the third request to wait downstream');
    expect(answered.every((s) => !s.aborted)).toBe(true);
    agent.destroy();
    await third;
    await eventually(() => next.signals[0]!.aborted, 'the signal to abort');
    expect(next.cancelled).toHaveLength(1);
    // A connection closed after its last answer aborts nothing.
    running.next.consume = async (_logs: Logs, signal?: AbortSignal) => void answered.push(signal!);
    const quiet = new Agent({ keepAlive: true, maxSockets: 1 });
    const res = await new Promise<number>((resolve, reject) => {
      const req = request(`${running.httpUrl}/v1/logs`, { method: 'POST', agent: quiet, headers: { 'content-type': 'application/x-protobuf', 'content-length': String(body.length) } }, (r) => {
        r.resume();
        r.on('end', () => resolve(r.statusCode!));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(res).toBe(200);
    quiet.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(answered.at(-1)!.aborted).toBe(false);
  });

  it('OTLP/gRPC: aborts the signal when the client cancels the call', async () => {
    otlp = await startOtlpReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
    const next = new WaitsForCancel();
    otlp.next.consume = (logs: Logs, signal?: AbortSignal) => next.consume(logs, signal);
    const client = new Client(otlp.grpcAddress, credentials.createInsecure());
    try {
      const result = new Promise<number | undefined>((resolve) => {
        const call = client.makeUnaryRequest(EXPORT_METHOD, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(encodeLogs(makeLogs(2))), new Metadata(), (err) => resolve(err?.code));
        void eventually(() => next.signals.length === 1, 'the call to wait downstream').then(() => call.cancel());
      });
      expect(await result).toBe(status.CANCELLED);
      await eventually(() => next.signals[0]!.aborted, 'the signal to abort');
      expect(next.cancelled).toHaveLength(1);
    } finally {
      client.close();
    }
  });

  it('Make webhook: aborts the signal when the caller goes away', async () => {
    const next = new WaitsForCancel();
    make = await startMakeReceiver({ zone: 'eu1.make.com', webhook: { endpoint: '127.0.0.1:0', api_key: 'whk-signal-test' } }, next, storageHost());
    const url = `http://127.0.0.1:${make.receiver.webhookAddress()!.port}/`;
    await postThenHangUp(url, Buffer.from(JSON.stringify({ message: 'hello' })), { 'content-type': 'application/json', 'x-make-apikey': 'whk-signal-test' }, () => next.signals.length === 1);
    await eventually(() => next.signals[0]!.aborted, 'the signal to abort');
    expect(next.cancelled).toHaveLength(1);
  });
});
