import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import { startElasticsearchBulk, type ElasticsearchBulkFake } from '../../fakes/elasticsearch-bulk.js';
import { startGateway, writeConfig, type GatewayProcess } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';
import { postLogs } from '../../process/delivery-harness.js';

/**
 * Issue 20, acceptance 3: Elasticsearch effectively-once. The real gateway (dist/cli.js) is
 * killed with SIGKILL while `_bulk` requests of Make executions are indexed but not yet
 * answered; after the restart the persistent queue sends them again, Elasticsearch refuses the
 * copies as 409 conflicts (same `_id` from `make.execution.id`), and the index holds each
 * execution exactly once.
 */

const USER = 'elastic';
const PASSWORD = 'kill-test-password-4242';
const EXECUTIONS = 600;
const PER_PUSH = 20;
const INDEX = 'logs-generic.otel-default';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function executions(from: number, count: number): Logs {
  return {
    resourceLogs: [
      {
        schemaUrl: '',
        resource: { attributes: [attr('service.name', 'make'), attr('make.scenario.id', 42)], droppedAttributesCount: 0 },
        scopeLogs: [
          {
            schemaUrl: '',
            logRecords: Array.from({ length: count }, (_, i) =>
              newLogRecord({
                timeUnixNano: 1_767_225_600_000_000_000n + BigInt(from + i) * 1_000_000n,
                eventName: 'make.scenario.execution',
                severityNumber: 9,
                body: { stringValue: `Scenario execution exec-${from + i}: success` },
                attributes: [attr('make.execution.id', `exec-${from + i}`), attr('make.execution.status', 'success')],
              }),
            ),
          },
        ],
      },
    ],
  };
}

/** Push until the gateway answers 200 (a client that retries what was not acknowledged). */
async function pushUntilAccepted(port: () => number, logs: Logs): Promise<void> {
  for (let attempt = 0; attempt < 2_000; attempt++) {
    const res = await postLogs(port(), logs).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the gateway never accepted the push');
}

async function until(what: string, check: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('elasticsearch exporter, kill -9 during a push of Make executions', () => {
  it('leaves each execution in the index exactly once after the restart', async () => {
    const es: ElasticsearchBulkFake = await startElasticsearchBulk({ auth: { user: USER, password: PASSWORD } });
    cleanup.push(() => es.close());
    es.setResponseDelay(300);
    const dir = mkdtempSync(join(tmpdir(), 'es-kill-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const receiverPort = await freePort();
    const config = writeConfig(
      `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${receiverPort}
exporters:
  elasticsearch:
    endpoint: ${es.url}
    user: ${USER}
    password: ${PASSWORD}
    timeout: 5s
    sending_queue:
      storage: file_storage
      num_consumers: 4
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 200ms
      max_elapsed_time: 0
extensions:
  file_storage:
    directory: ${join(dir, 'queue')}
service:
  extensions: [file_storage]
  # No /metrics listener: the default 0.0.0.0:8888 collides with other test files running at once.
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [elasticsearch]
`,
      dir,
    );
    let gateway: GatewayProcess = await startGateway(config);
    cleanup.push(() => gateway.kill9());

    let next = 0;
    const pusher = (async () => {
      while (next < EXECUTIONS) {
        await pushUntilAccepted(() => receiverPort, executions(next, PER_PUSH));
        next += PER_PUSH;
        // Paced like a client that sends as executions finish: the send-side merge would
        // otherwise put the whole push into one bulk request.
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // Kill while requests are indexed but unanswered: the queue still holds them.
    // (Not all of them: the send-side merge may put everything queued into one bulk request.)
    await until('a third of the executions indexed with requests in flight', () => es.count() >= EXECUTIONS / 3 && es.count() < EXECUTIONS && es.inFlight() > 0);
    await gateway.kill9();
    const indexedAtKill = es.count();
    expect(indexedAtKill).toBeLessThan(EXECUTIONS);
    gateway = await startGateway(config);

    await pusher;
    await until('every execution indexed', () => es.count() >= EXECUTIONS);
    // Let redeliveries still queued arrive too, then check nothing is there twice.
    await until('the queue drained', () => es.inFlight() === 0);
    await gateway.stop();

    const ids = [...es.indices.get(INDEX)!.keys()].sort();
    expect(ids).toEqual(Array.from({ length: EXECUTIONS }, (_, i) => `exec-${i}`).sort());
    expect(es.count()).toBe(EXECUTIONS);
    const items = es.bulkRequests.flat();
    expect(items.filter((i) => i.status === 201)).toHaveLength(EXECUTIONS);
    // The copies the restart sent again were refused as conflicts, not indexed a second time.
    expect(items.filter((i) => i.status === 409).length).toBeGreaterThan(0);
    expect(items.every((i) => i.status === 201 || i.status === 409)).toBe(true);
  }, 180_000);
});
