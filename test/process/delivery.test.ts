import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { CLI, GatewayProcess, numbered, postLogs, queueCli, writeGatewayConfig, type GatewaySetup } from './delivery-harness.js';

/**
 * docs/architecture.md §4 at process level: the built gateway with a file_storage queue, killed and
 * restarted around a backend outage. Assert: every record the gateway acknowledged arrives.
 */

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
});

async function setUp(queue: { queue_size?: number } = {}) {
  const backend = await OtlpHttpBackend.start();
  cleanup.push(() => backend.close());
  const setup = await writeGatewayConfig(backend.url, queue);
  cleanup.push(() => setup.cleanup());
  return { backend, setup };
}

async function startGateway(setup: GatewaySetup): Promise<GatewayProcess> {
  const gw = await GatewayProcess.start(setup);
  cleanup.push(() => gw.stop());
  return gw;
}

/** Send `requests` numbered single-record requests; returns the sequence numbers acknowledged. */
async function sendNumbered(port: number, requests: number): Promise<string[]> {
  const acked: string[] = [];
  for (let i = 0; i < requests; i++) {
    const res = await postLogs(port, numbered(i, 1));
    if (res.status === 200) acked.push(`seq-${i}`);
  }
  return acked;
}

const bodies = (backend: OtlpHttpBackend) => new Set(backend.records().map((r) => r.body?.stringValue));

function liveRows(setup: GatewaySetup): number {
  const db = new Database(join(setup.storageDir, 'gateway-queue.db'), { readonly: true });
  const n = db.prepare('SELECT count(*) FROM "q_otlphttp"').pluck().get() as number;
  db.close();
  return n;
}

describe('gateway process delivery', () => {
  it('loses no acknowledged record when killed with -9 while the backend is down', async () => {
    const { backend, setup } = await setUp();
    await backend.goDown('refuse');
    const gw = await startGateway(setup);
    const acked = await sendNumbered(setup.receiverPort, 40);
    expect(acked).toHaveLength(40);
    await gw.kill('SIGKILL');

    await backend.comeUp();
    await startGateway(setup);
    await backend.waitForRecords(40, 30_000);
    const received = bodies(backend);
    expect(acked.filter((b) => !received.has(b))).toEqual([]);
  });

  it('counts, with the queue command, what a gateway killed with -9 had acknowledged, before it restarts', async () => {
    const { backend, setup } = await setUp();
    await backend.goDown('refuse');
    const gw = await startGateway(setup);
    const acked = await sendNumbered(setup.receiverPort, 25);
    expect(acked).toHaveLength(25);
    await gw.kill('SIGKILL');

    const stats = await queueCli(setup, ['stats']);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/exporter=otlphttp queued_requests=25 queued_records=25 /);
    // Folded into the table the documented format describes.
    expect(liveRows(setup)).toBe(25);

    await backend.comeUp();
    await startGateway(setup);
    await backend.waitForRecords(25, 30_000);
    expect(acked.filter((b) => !bodies(backend).has(b))).toEqual([]);
  });

  it('keeps queued records through SIGTERM during an outage and delivers them after restart', async () => {
    const { backend, setup } = await setUp();
    await backend.goDown('unavailable');
    const gw = await startGateway(setup);
    const acked = await sendNumbered(setup.receiverPort, 20);
    const { code } = await gw.stop();
    expect(code).toBe(0);
    expect(liveRows(setup)).toBe(20);

    await backend.comeUp();
    await startGateway(setup);
    await backend.waitForRecords(20, 30_000);
    const received = bodies(backend);
    expect(acked.filter((b) => !received.has(b))).toEqual([]);
  });

  it('answers 429 with Retry-After when the queue is full', async () => {
    const { backend, setup } = await setUp({ queue_size: 3 });
    await backend.goDown('refuse');
    await startGateway(setup);
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      const res = await postLogs(setup.receiverPort, numbered(i, 1));
      statuses.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
    }
    expect(statuses.slice(0, 3).map((s) => s.status)).toEqual([200, 200, 200]);
    expect(statuses[3].status).toBe(429);
    expect(statuses[3].retryAfter).toMatch(/^\d+$/);
  });

  it('lists dead letters and replays them from the command line', async () => {
    const { backend, setup } = await setUp();
    backend.failAlways({ status: 400, message: 'invalid log record' });
    const gw = await startGateway(setup);
    await sendNumbered(setup.receiverPort, 2);
    for (let i = 0; i < 200 && backend.refusals.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    await gw.stop();

    const list = await queueCli(setup, ['dead-letter', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('exporter=otlphttp dead_letter_requests=2');
    expect(list.stdout).toContain('HTTP 400');

    const replay = await queueCli(setup, ['dead-letter', 'replay', '--exporter', 'otlphttp']);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('replayed_requests=2');

    backend.failAlways(undefined);
    await startGateway(setup);
    await backend.waitForRecords(2, 30_000);
    expect(bodies(backend)).toEqual(new Set(['seq-0', 'seq-1']));
  });
});
