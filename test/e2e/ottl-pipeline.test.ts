import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyValue, LogRecord } from '../../src/pdata/model.js';
import { fromAnyValue } from '../../src/pdata/values.js';
import { FakeMakeApi, type FakeExecution } from '../fakes/make-api.js';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * examples/make-filter-redact.yaml, run by the real gateway process against a fake Make API, with
 * only its endpoints adapted: a temp copy points the receiver at the fake (`base_url` instead of
 * `zone`, the one change to the file), and a second --config adds what the example leaves to the
 * reader: a webhook on the same receiver (records with free-form attributes, which polling never
 * produces, for the redaction rules), an otlphttp exporter beside the example's debug one so the
 * test can read records back, and a free metrics port. Processors and pipeline order are the
 * example's, untouched. Each assertion is a promise of the example's header comment.
 */

const EXAMPLE = resolve(import.meta.dirname, '../../examples/make-filter-redact.yaml');
const TOKEN = `mk-ottl-${randomBytes(8).toString('hex')}`;
const WEBHOOK_KEY = `whk-ottl-${randomBytes(8).toString('hex')}`;
const TEAM_ID = 27;
const MINUTE = 60_000;
const RAW_EMAILS = ['alerts@example.com', 'bob.smith@example.org', 'carol+refunds@example.net'];
const BEARER = 'Bearer eyJhbGciOiJIUzI1NiJ9.payload-part_x~y';

let make: FakeMakeApi;
let backend: OtlpHttpBackend;
let gateway: GatewayProcess;
let dir: string;
let metricsPort: number;
let hookUrl: string;
const executions: Record<string, FakeExecution> = {};

beforeAll(async () => {
  make = new FakeMakeApi({ token: TOKEN, teamIds: [TEAM_ID] });
  await make.start();
  backend = await OtlpHttpBackend.start();
  dir = mkdtempSync(join(tmpdir(), 'mog-ottl-'));
  const [hookPort, mPort] = [await freePort(), await freePort()];
  metricsPort = mPort;
  hookUrl = `http://127.0.0.1:${hookPort}/make`;

  const example = readFileSync(EXAMPLE, 'utf8');
  const adapted = example.replace(/^(\s+)zone: eu1\.make\.com$/m, `$1base_url: ${make.baseUrl}`);
  if (adapted === example) throw new Error('examples/make-filter-redact.yaml changed: no "zone: eu1.make.com" line to point at the fake');
  const examplePath = join(dir, 'make-filter-redact.yaml');
  writeFileSync(examplePath, adapted);
  const overridePath = join(dir, 'endpoints.yaml');
  writeFileSync(
    overridePath,
    `
receivers:
  make:
    webhook:
      endpoint: 127.0.0.1:${hookPort}
      path: /make
      api_key: \${env:MAKE_WEBHOOK_KEY}
exporters:
  otlphttp:
    endpoint: ${backend.url}
service:
  pipelines:
    logs:
      exporters: [debug, otlphttp]
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
`,
  );

  const scenario = make.addScenario({ name: 'Notify alerts@example.com' });
  const now = Date.now();
  const add = (name: string, fields: Partial<FakeExecution>, minutesAgo: number) => {
    executions[name] = make.addExecution(scenario.id, { ...fields, startMs: now - minutesAgo * MINUTE });
  };
  add('fastSuccess', { status: 1, duration: 500 }, 6);
  add('justUnderASecond', { status: 1, duration: 999 }, 5);
  add('oneSecondSuccess', { status: 1, duration: 1000 }, 4);
  add('fastError', { status: 3, duration: 200 }, 3);
  add('fastWarning', { status: 2, duration: 300 }, 2);
  add('slowManualSuccess', { status: 1, duration: 5000, type: 'manual', authorId: 5 }, 1);

  gateway = await startGateway([examplePath, overridePath], { MAKE_API_TOKEN: TOKEN, MAKE_TEAM_ID: String(TEAM_ID), MAKE_WEBHOOK_KEY: WEBHOOK_KEY });
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([make?.close(), backend?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

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

function polled(name: string) {
  return delivered().find((d) => d.attributes['make.execution.id'] === executions[name].id);
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function metricsText(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
}

describe('examples/make-filter-redact.yaml, through the gateway process', () => {
  it('drops successful executions under a second and keeps errors, warnings and slower runs', async () => {
    await backend.waitForRecords(4, 20_000);
    const ids = delivered().map((d) => d.attributes['make.execution.id']);
    expect(ids.sort()).toEqual(['oneSecondSuccess', 'fastError', 'fastWarning', 'slowManualSuccess'].map((n) => executions[n].id).sort());
    expect(await metricsText()).toMatch(/gateway_processor_filter_dropped_log_records_total\{processor="filter\/fast-successes"\} 2/);
  });

  it('renames author_id to enduser.id and duration_ms to duration, keeping them integers', () => {
    const manual = polled('slowManualSuccess')!;
    expect(manual.attributes['enduser.id']).toBe(5n);
    expect(manual.attributes['make.execution.duration']).toBe(5000n);
    expect(manual.attributes).not.toHaveProperty('make.execution.author_id');
    expect(manual.attributes).not.toHaveProperty('make.execution.duration_ms');
    // An auto run has no author: nothing to rename, and no empty enduser.id appears.
    const auto = polled('fastError')!;
    expect(auto.attributes).not.toHaveProperty('enduser.id');
    expect(auto.attributes['make.execution.duration']).toBe(200n);
    expect(auto.record.severityText).toBe('ERROR');
    expect(polled('fastWarning')!.record.severityText).toBe('WARN');
  });

  it('masks e-mail addresses in bodies and in resource attributes', () => {
    const d = polled('fastError')!;
    expect(d.record.body?.stringValue).toBe(`Scenario "Notify <email>" execution ${executions.fastError.id}: error, 200 ms, 3 operations`);
    expect(d.resource['make.scenario.name']).toBe('Notify ****');
    expect(d.resource['redaction.masked.count']).toBe(1n);
  });

  it('masks tokens, bearer credentials and e-mails in pushed attributes, and counts what it masked', async () => {
    const res = await fetch(hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-make-apikey': WEBHOOK_KEY },
      body: JSON.stringify({
        message: 'Refund for bob.smith@example.org failed',
        level: 'error',
        api_token: 'tok_live_1234',
        make_api_key: 'key_live_5678',
        'http.request.header.authorization': BEARER,
        customer_email: 'carol+refunds@example.net',
        note: 'retry tomorrow',
      }),
    });
    expect(res.status).toBe(200);
    await backend.waitForRecords(5);
    const pushed = delivered().find((d) => d.attributes['note'] !== undefined)!;
    expect(pushed.record.body?.stringValue).toBe('Refund for <email> failed');
    expect(pushed.attributes).toEqual({
      api_token: '****',
      make_api_key: '****',
      'http.request.header.authorization': '****',
      customer_email: '****',
      note: 'retry tomorrow',
      'redaction.masked.count': 4n,
    });
  });

  it('never writes a raw e-mail, token or bearer credential to its debug output or the backend', async () => {
    // The debug exporter (verbosity: detailed) writes to stderr with the gateway's own logs; it
    // runs beside otlphttp, so its line may come a moment after the backend got the record.
    await until('the debug exporter wrote the pushed record', () => gateway.stderr().includes('Body: Str(Refund for <email> failed)'));
    const out = gateway.stderr();
    expect(out).toContain(`Body: Str(Scenario "Notify <email>" execution ${executions.fastError.id}: error, 200 ms, 3 operations)`);
    const secrets = [...RAW_EMAILS, 'tok_live_1234', 'key_live_5678', BEARER];
    for (const secret of [...secrets, TOKEN, WEBHOOK_KEY]) expect(out).not.toContain(secret);
    const received = JSON.stringify(delivered(), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    for (const secret of secrets) expect(received).not.toContain(secret);
  });
});
