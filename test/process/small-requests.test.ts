import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 23: many clients sending one record per request (the OpenTelemetry SDKs'
 * SimpleLogRecordProcessor) through the gateway on its shipped configuration with the persistent
 * queue, every sending_queue key at its default (queue_size 1000 requests, refuse when full).
 * Before, each tiny request was sent on its own and the queue filled: two requests in three were
 * answered 429 while the backend kept up. Now no request is refused and every record arrives once.
 */

const CLIENTS = 64;
const RECORDS_PER_CLIENT = 25;

let backend: OtlpHttpBackend | undefined;
let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.kill9();
  await backend?.close();
  gateway = backend = undefined;
});

/**
 * The official exporter, with each export's result kept (the SDK itself only logs failures), and
 * a way to wait for it: SimpleLogRecordProcessor exports at emit and does not wait.
 */
class RecordingExporter implements LogRecordExporter {
  readonly results: ExportResult[] = [];
  private answered?: () => void;
  constructor(private readonly inner: ProtoLogExporter) {}
  export(logs: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.inner.export(logs, (result) => {
      this.results.push(result);
      done(result);
      this.answered?.();
    });
  }
  /** Resolves once `n` exports were answered. */
  async answeredCount(n: number): Promise<void> {
    while (this.results.length < n) await new Promise<void>((r) => (this.answered = r));
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/**
 * otel-config.yaml as shipped, its debug exporter swapped for otlphttp with a persistent queue;
 * `processors: false` drops its processors (memory_limiter, batch): then nothing batches at all.
 */
function shippedConfigWithPersistentQueue(receiverPort: number, healthPort: number, metricsPort: number, backendUrl: string, processors: boolean): string {
  const config = parse(readFileSync(resolve(import.meta.dirname, '../../otel-config.yaml'), 'utf8'));
  if (!processors) {
    delete config.processors;
    delete config.service.pipelines.logs.processors;
  }
  config.receivers.otlp.protocols = { http: { endpoint: `127.0.0.1:${receiverPort}` } };
  config.extensions.health_check.endpoint = `127.0.0.1:${healthPort}`;
  config.extensions.file_storage = { directory: join(mkdtempSync(join(tmpdir(), 'mog-small-')), 'queue') };
  config.service.extensions.push('file_storage');
  config.exporters = { otlphttp: { endpoint: backendUrl, sending_queue: { storage: 'file_storage' } } };
  config.service.pipelines.logs.exporters = ['otlphttp'];
  config.service.telemetry.metrics = { address: `127.0.0.1:${metricsPort}` };
  return stringify(config);
}

/** The value of a counter summed over its series (0 when it has none yet). */
async function counter(metricsPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('small requests through the gateway process', () => {
  it.each([
    ['the shipped pipeline (memory_limiter, batch)', true],
    ['a pipeline without processors', false],
  ])('refuses none of 64 SimpleLogRecordProcessor clients sending one record per request with the default queue, and delivers every record once: %s', async (_, processors) => {
    backend = await OtlpHttpBackend.start();
    const [receiverPort, healthPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    gateway = await startGateway(writeConfig(shippedConfigWithPersistentQueue(receiverPort, healthPort, metricsPort, backend.url, processors)));

    // 64 services, each with its own SDK exporter (its own connection), each export answered
    // before the next record: 64 one-record requests in flight at all times.
    const clients = Array.from({ length: CLIENTS }, (_, c) => {
      const exporter = new RecordingExporter(new ProtoLogExporter({ url: `http://127.0.0.1:${receiverPort}/v1/logs` }));
      const processor = new SimpleLogRecordProcessor({ exporter });
      const provider = new LoggerProvider({ processors: [processor] });
      return { c, exporter, provider, logger: provider.getLogger('small-requests') };
    });
    await Promise.all(
      clients.map(async ({ c, exporter, logger }) => {
        for (let i = 0; i < RECORDS_PER_CLIENT; i++) {
          logger.emit({ body: `c${c}-${i}` });
          await exporter.answeredCount(i + 1);
        }
      }),
    );
    const total = CLIENTS * RECORDS_PER_CLIENT;
    for (const { exporter } of clients) {
      expect(exporter.results).toHaveLength(RECORDS_PER_CLIENT);
      for (const result of exporter.results) expect(result.code).toBe(ExportResultCode.SUCCESS);
    }
    // The SDK retries a 429 by itself, so refusals are counted where they happen: the receiver.
    expect(await counter(metricsPort, 'otelcol_receiver_accepted_log_records_total')).toBe(total);
    expect(await counter(metricsPort, 'otelcol_receiver_refused_log_records_total')).toBe(0);
    expect(await counter(metricsPort, 'otelcol_exporter_enqueue_failed_log_records_total')).toBe(0);

    await backend.waitForRecords(total, 60_000);
    // Once stopped nothing more can arrive: the count is final.
    expect(await gateway.stop()).toBe(0);
    const bodies = backend.records().map((r) => r.body?.stringValue);
    const expected = clients.flatMap(({ c }) => Array.from({ length: RECORDS_PER_CLIENT }, (_, i) => `c${c}-${i}`));
    expect(bodies.sort()).toEqual(expected.sort());
    // Merged on the way out: fewer backend requests than client requests.
    expect(backend.requests.length).toBeLessThan(total);
    await Promise.all(clients.map(({ provider }) => provider.shutdown()));
  }, 120_000);
});
