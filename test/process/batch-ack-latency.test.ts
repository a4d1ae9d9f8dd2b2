import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { LoggerProvider, type LogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 15, acceptance 2: a `batch` processor with `timeout: 30s` in front of a persistent
 * `otlphttp` queue no longer holds replies for its timeout. The official OTLP/HTTP protobuf
 * exporter, with its default 10 s timeout, gets every export acknowledged well within a second
 * (before: only after the 30 s timeout, so the client timed out and resent), and a kill -9 right
 * after the acknowledgements loses nothing: batching happens when the queue is read for sending.
 */

const EXPORTS = 20;
/** The acceptance's bound; the defect answered after the 30 s batch timeout. */
const ACK_BOUND_MS = 1_000;

let backend: OtlpHttpBackend | undefined;
let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.kill9();
  await backend?.close();
  gateway = backend = undefined;
});

/** Exports every emitted record on its own, as the client sees it: result and time to answer. */
class TimedExports implements LogRecordProcessor {
  readonly results: { result: ExportResult; ms: number }[] = [];
  private pending: Promise<void>[] = [];

  constructor(private readonly exporter: ProtoLogExporter) {}

  onEmit(record: unknown): void {
    const startedAt = performance.now();
    this.pending.push(
      new Promise<void>((resolve) =>
        this.exporter.export([record as ReadableLogRecord], (result) => {
          this.results.push({ result, ms: performance.now() - startedAt });
          resolve();
        }),
      ),
    );
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.pending);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    await this.exporter.shutdown();
  }
}

describe('batch processor ack latency, through the gateway process', () => {
  it('acknowledges every export of the official OTLP/HTTP client within a second behind batch {timeout: 30s} and a persistent queue, and loses nothing on kill -9 right after', async () => {
    backend = await OtlpHttpBackend.start();
    await backend.goDown('refuse');
    const receiverPort = await freePort();
    const storageDir = join(mkdtempSync(join(tmpdir(), 'mog-ack-')), 'queue');
    const path = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${receiverPort}
processors:
  batch:
    timeout: 30s
    send_batch_size: ${EXPORTS}
exporters:
  otlphttp:
    endpoint: ${backend.url}
    compression: none
    timeout: 2s
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
service:
  extensions: [file_storage]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp]
`);
    gateway = await startGateway(path);

    // The client's default timeout (10 s) is what real SDKs run with: no option set.
    const client = new TimedExports(new ProtoLogExporter({ url: `http://127.0.0.1:${receiverPort}/v1/logs` }));
    const provider = new LoggerProvider({ processors: [client] });
    const logger = provider.getLogger('ack-latency');
    for (let i = 0; i < EXPORTS; i++) {
      logger.emit({ body: `export-${i}` });
      // One export at a time: each must be answered on its own, not when a batch fills up.
      await client.forceFlush();
    }
    await gateway.kill9();

    expect(client.results).toHaveLength(EXPORTS);
    for (const { result, ms } of client.results) {
      expect(result.error?.message).toBeUndefined();
      expect(result.code).toBe(ExportResultCode.SUCCESS);
      expect(ms).toBeLessThan(ACK_BOUND_MS);
    }

    await backend.comeUp();
    gateway = await startGateway(path);
    await backend.waitForRecords(EXPORTS, 30_000);
    // Once stopped nothing more can arrive: the count is final.
    expect(await gateway.stop()).toBe(0);
    const bodies = backend.records().map((r) => r.body?.stringValue);
    expect(bodies.sort()).toEqual(Array.from({ length: EXPORTS }, (_, i) => `export-${i}`).sort());
    await provider.shutdown();
  });
});
