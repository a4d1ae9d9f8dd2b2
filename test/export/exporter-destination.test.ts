import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { CLI } from '../helpers/gateway-process.js';
import { DAY_MS, END_MS, expectedIds, startHarness, type Harness } from './harness.js';

/**
 * Acceptance 5: `export --exporter otlphttp` sends every record through the exporter's durable
 * queue: through a backend outage, and through a kill -9 of the CLI while the backend is down.
 */

let h: Harness;
let backend: OtlpHttpBackend;
const FROM_MS = END_MS - 3 * DAY_MS;
const TO_MS = END_MS;

beforeAll(async () => {
  backend = await OtlpHttpBackend.start();
  h = await startHarness({
    exporters: `  otlphttp:
    endpoint: ${backend.url}
    sending_queue:
      storage: file_storage
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 500ms
      max_elapsed_time: 10m
`,
  });
});
afterAll(async () => {
  await h?.close();
  await backend?.close();
});

function jobState(storage: string): string | undefined {
  try {
    const db = new Database(join(storage, 'exports.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT state FROM export_jobs ORDER BY created_at DESC LIMIT 1').pluck().get() as string | undefined) ?? undefined;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

const receivedIds = () =>
  backend.records().map((r) => r.attributes.find((a) => a.key === 'make.execution.id')!.value!.stringValue!);

describe('export to an exporter', () => {
  it('delivers every record through the durable queue across an outage and a kill -9', { timeout: 120_000 }, async () => {
    await backend.goDown('refuse');
    const args = ['export', '--config', h.config, '--from', String(FROM_MS), '--to', String(TO_MS), '--exporter', 'otlphttp'];
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((res) => child.on('exit', () => res()));
    const storage = join(h.dir, 'storage');
    // The job is done (every record durably queued) while the backend is still down.
    const deadline = Date.now() + 60_000;
    while (jobState(storage) !== 'succeeded' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(jobState(storage)).toBe('succeeded');
    expect(backend.recordCount()).toBe(0);
    child.kill('SIGKILL');
    await exited;

    await backend.comeUp();
    // Running the same export again finds the finished job and delivers what its queue holds.
    const again = await h.run(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.summary!.state).toBe('succeeded');
    const want = expectedIds(h.api, FROM_MS, TO_MS);
    expect(again.summary!.records).toBe(want.length);
    expect([...new Set(receivedIds())].sort()).toEqual(want);
  });

  it('waits through a backend answering 503 until the records are delivered', { timeout: 120_000 }, async () => {
    backend.requests.length = 0;
    backend.failNext(5, { status: 503 });
    const from = END_MS - 6 * DAY_MS;
    const to = END_MS - 5 * DAY_MS;
    const r = await h.run(['export', '--from', String(from), '--to', String(to), '--status', 'error', '--exporter', 'otlphttp']);
    expect(r.code, r.stderr).toBe(0);
    expect(backend.refusals.filter((x) => x.status === 503).length).toBeGreaterThanOrEqual(1);
    expect([...new Set(receivedIds())].sort()).toEqual(expectedIds(h.api, from, to, undefined, [3]));
  });
});
