import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OtlpHttpBackend } from '../../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../../helpers/gateway-process.js';
import { natsServerMissing, startNatsServer, type NatsServer } from '../../helpers/nats-server.js';
import { freePort } from '../../helpers/ports.js';
import { numbered, postLogs } from '../../process/delivery-harness.js';

/**
 * Acceptance: ingest tier (otlp → nats exporter, file_storage queue) → JetStream → export tier
 * (nats receiver → otlphttp, file_storage queue) as two real gateway processes (dist/cli.js);
 * kill -9 each tier in turn while clients push; every record a client got a 200 for reaches the
 * backend. Duplicates are allowed (at-least-once), losses are not.
 */

const RECORDS_PER_REQUEST = 20;

describe.skipIf(natsServerMissing !== undefined)('two tiers over JetStream, real processes', () => {
  let nats: NatsServer;
  let backend: OtlpHttpBackend;
  let dir: string;
  const running = new Set<GatewayProcess>();

  beforeAll(async () => {
    nats = await startNatsServer();
    backend = await OtlpHttpBackend.start();
    dir = mkdtempSync(join(tmpdir(), 'two-tier-'));
  });
  afterAll(async () => {
    for (const g of running) await g.kill9();
    await backend?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(configPath: string): Promise<GatewayProcess> {
    const g = await startGateway(configPath, {}, 60_000);
    running.add(g);
    void g.exited.then(() => running.delete(g));
    return g;
  }

  it('loses no acknowledged record when each tier is killed with -9 during a push', async () => {
    const ingestPort = await freePort();
    const ingestConfig = writeConfig(
      `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${ingestPort}
exporters:
  nats:
    url: ${nats.url}
    stream: TIER
    subject: tier.logs
    timeout: 2s
    sending_queue: { storage: file_storage, num_consumers: 4 }
    retry_on_failure: { initial_interval: 100ms, max_interval: 500ms, max_elapsed_time: 0 }
extensions:
  file_storage:
    directory: ${join(dir, 'ingest-queue')}
service:
  extensions: [file_storage]
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [nats] }
`,
      mkdtempSync(join(dir, 'ingest-')),
    );
    const exportConfig = writeConfig(
      `receivers:
  nats:
    url: ${nats.url}
    stream: TIER
    subject: tier.logs
    consumer: export-tier
    max_ack_pending: 64
    ack_wait: 2s
    nak_delay: 200ms
exporters:
  otlphttp:
    endpoint: ${backend.url}
    compression: none
    timeout: 2s
    sending_queue: { storage: file_storage, num_consumers: 4 }
    retry_on_failure: { initial_interval: 100ms, max_interval: 500ms, max_elapsed_time: 0 }
extensions:
  file_storage:
    directory: ${join(dir, 'export-queue')}
service:
  extensions: [file_storage]
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [nats], exporters: [otlphttp] }
`,
      mkdtempSync(join(dir, 'export-')),
    );

    let exportTier = await start(exportConfig);
    let ingestTier = await start(ingestConfig);

    // Clients push numbered records; a record counts as acknowledged only when its request got 200.
    const acked = new Set<string>();
    let next = 0;
    let pushing = true;
    const client = async () => {
      while (pushing) {
        const from = next;
        next += RECORDS_PER_REQUEST;
        const ok = await postLogs(ingestPort, numbered(from, RECORDS_PER_REQUEST)).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) for (let i = 0; i < RECORDS_PER_REQUEST; i++) acked.add(`seq-${from + i}`);
        else await new Promise((r) => setTimeout(r, 50));
      }
    };
    const clients = Promise.all([client(), client(), client(), client()]);
    const ackedAtLeast = (n: number) => vi.waitFor(() => expect(acked.size).toBeGreaterThanOrEqual(n), { timeout: 60_000, interval: 50 });

    try {
      await ackedAtLeast(400);
      await ingestTier.kill9();
      ingestTier = await start(ingestConfig);
      await ackedAtLeast(acked.size + 400);

      await exportTier.kill9();
      // The ingest tier keeps accepting while the export tier is gone: JetStream holds the backlog.
      await ackedAtLeast(acked.size + 400);
      exportTier = await start(exportConfig);
      await ackedAtLeast(acked.size + 400);
    } finally {
      pushing = false;
      await clients;
    }

    const received = () => new Set(backend.records().map((r) => r.body?.stringValue));
    await vi.waitFor(
      () => {
        const got = received();
        const missing = [...acked].filter((s) => !got.has(s));
        expect(missing.length, `missing e.g. ${missing.slice(0, 5).join(', ')}`).toBe(0);
      },
      { timeout: 120_000, interval: 500 },
    );
    expect(acked.size).toBeGreaterThanOrEqual(1600);
    await ingestTier.stop();
    await exportTier.stop();
  }, 300_000);
});
