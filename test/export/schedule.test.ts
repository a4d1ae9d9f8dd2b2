import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';
import { startHarness, type Harness } from './harness.js';

/**
 * Acceptance 3, time scaled: a `make_exports` job on a cron firing every 2 seconds (croner's
 * seconds field) runs; a run due while the previous one still runs is skipped, never overlapped;
 * after a stop past a scheduled time, the restart catches up exactly once; /metrics shows the runs.
 */

let h: Harness;
let gateway: GatewayProcess | undefined;
let metricsPort: number;

beforeAll(async () => {
  metricsPort = await freePort();
  h = await startHarness({
    // 60 requests/min: each run (a scenario list and five log pages) takes ~6 s, longer than the
    // 2 s between scheduled times, so overlaps are due and must be skipped.
    requestsPerMinute: 60,
    extraYaml: `  make_exports:
    storage: file_storage
    history: 50
    jobs:
      - name: every2s
        schedule: "*/2 * * * * *"
        timezone: UTC
        range: 120h
        catch_up: true
        format: csv
        status: [error]
        out: OUT_DIR
`,
    serviceExtensions: ['file_storage', 'make_exports'],
    serviceYaml: `  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
`,
  });
}, 30_000);
afterAll(async () => {
  await gateway?.stop();
  await h?.close();
});

interface Run {
  id: string;
  state: string;
  created_at: number;
  updated_at: number;
  toMs: number;
}

function runs(): Run[] {
  const db = new Database(join(h.dir, 'storage', 'exports.db'), { readonly: true });
  try {
    return (db.prepare("SELECT id, state, created_at, updated_at, json_extract(spec, '$.toMs') AS toMs FROM export_jobs ORDER BY created_at").all() as Run[]);
  } finally {
    db.close();
  }
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('scheduled exports', () => {
  it('run on the cron, never overlap, catch up once after a restart, and show in metrics', { timeout: 150_000 }, async () => {
    writeFileSync(h.config, readFileSync(h.config, 'utf8').replace('OUT_DIR', join(h.dir, 'exports')));
    gateway = await startGateway(h.config);
    await until(async () => (await metric('gateway_export_runs_total', 'job="every2s",state="succeeded"')) >= 2, 90_000, 'two successful runs');
    expect(await metric('gateway_export_runs_total', 'job="every2s",state="skipped"')).toBeGreaterThanOrEqual(1);
    expect(await metric('gateway_export_records_total', 'job="every2s"')).toBeGreaterThan(0);
    expect(await metric('gateway_export_last_success_timestamp_seconds', 'job="every2s"')).toBeGreaterThan(Date.now() / 1000 - 120);
    await gateway.stop();
    gateway = undefined;

    // No two runs were ever running at once.
    const before = runs();
    for (let i = 1; i < before.length; i++) expect(before[i].created_at).toBeGreaterThanOrEqual(before[i - 1].updated_at);
    const lastWindowEnd = Math.max(...before.map((r) => r.toMs));

    // Down past at least one scheduled time, then up again: exactly one catch-up run.
    await new Promise((r) => setTimeout(r, 3_000));
    const restartedAt = Date.now();
    gateway = await startGateway(h.config);
    await until(() => gateway!.stderr().includes('trigger=catch-up'), 60_000, 'the catch-up run');
    const catchUps = gateway.stderr().split('\n').filter((l) => l.includes('scheduled export started') && l.includes('trigger=catch-up'));
    expect(catchUps).toHaveLength(1);
    const caughtId = /export_job=(exp-[0-9a-f]+)/.exec(catchUps[0])![1];
    const caught = runs().find((r) => r.id === caughtId)!;
    // Its window ends at a scheduled time missed while the gateway was down (or starting).
    expect(caught.toMs).toBeGreaterThan(lastWindowEnd);
    expect(caught.toMs).toBeGreaterThan(restartedAt - 3_000);
    expect(caught.toMs).toBeLessThanOrEqual(caught.created_at);
    expect(caught.toMs % 2_000).toBe(0);
    await until(() => runs().find((r) => r.id === caughtId)!.state === 'succeeded', 60_000, 'the catch-up run to succeed');
    expect(await metric('gateway_export_runs_total', 'job="every2s",state="succeeded"')).toBeGreaterThanOrEqual(1);
  });
});
