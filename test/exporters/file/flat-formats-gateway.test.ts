import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, writeConfig, type GatewayProcess } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';

/** The real built CLI (npm run build first): OTLP/HTTP in, csv and parquet files out. */
let dir: string;
let gateway: GatewayProcess | undefined;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'file-flat-gw-'));
  port = await freePort();
  const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${port} }
exporters:
  file/csv:
    path: ${path.join(dir, 'out.csv')}
    format: csv
    fields: [time, "make.execution.id:id", "make.execution.operations:ops"]
  file/parquet:
    path: ${path.join(dir, 'pq', 'out.parquet')}
    format: parquet
    create_directory: true
    fields: [time, "make.execution.id:id", "make.execution.operations:ops"]
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [file/csv, file/parquet]
  telemetry:
    metrics: { level: none }
`, dir);
  gateway = await startGateway(config);
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const T0_MS = 1_760_000_000_000;

function body(first: number, n: number) {
  const logRecords = Array.from({ length: n }, (_, i) => ({
    timeUnixNano: String(BigInt(T0_MS + first + i) * 1_000_000n),
    body: { stringValue: `record ${first + i}` },
    attributes: [
      { key: 'make.execution.id', value: { stringValue: `exec-${first + i}` } },
      { key: 'make.execution.operations', value: { intValue: String(first + i) } },
    ],
  }));
  return JSON.stringify({ resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ logRecords }] }] });
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `exec-${i}`).sort();

describe('file exporter csv and parquet in the running gateway', () => {
  it('writes every record of several requests once to the CSV file and to Parquet files', { timeout: 120_000 }, async () => {
    for (let k = 0; k < 5; k++) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(k * 20, 20) });
      expect(res.status).toBe(200);
    }
    // Stopping drains the queues, so the files are complete once the process has exited.
    expect(await gateway!.stop()).toBe(0);
    gateway = undefined;

    const rows = parse(readFileSync(path.join(dir, 'out.csv')), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.id).sort()).toEqual(ids(100));
    expect(rows.find((r) => r.id === 'exec-7')).toEqual({ time: new Date(T0_MS + 7).toISOString(), id: 'exec-7', ops: '7' });

    const files = readdirSync(path.join(dir, 'pq'));
    expect(files.every((f) => /^out-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}-\d{6}\.parquet$/.test(f))).toBe(true);
    const seen: Record<string, unknown>[] = [];
    for (const f of files) {
      const buf = readFileSync(path.join(dir, 'pq', f));
      seen.push(...((await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) })) as Record<string, unknown>[]));
    }
    expect(seen.map((r) => r.id as string).sort()).toEqual(ids(100));
    const seven = seen.find((r) => r.id === 'exec-7')!;
    expect((seven.time as Date).getTime()).toBe(T0_MS + 7);
    expect(seven.ops).toBe(7n);
  });
});
