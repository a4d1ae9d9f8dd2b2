import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { decompress as zstdDecompress } from 'fzstd';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIELDS } from '../../../src/export/columns.js';
import { fileExporterFactory, FileSender } from '../../../src/exporters/file/factory.js';
import type { ExportRequest } from '../../../src/exporters/helper/sender.js';
import type { Logs } from '../../../src/pdata/model.js';
import { countLogRecords, newLogRecord } from '../../../src/pdata/model.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { attr } from '../../../src/pdata/values.js';
import { silentLogger } from '../../../src/telemetry/logger.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'file-flat-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const T0_MS = 1_700_000_000_123;

/** `n` Make-like records with ids `first..first+n-1`; bodies carry a comma, quotes and a newline. */
function makeLogs(first: number, n: number): Logs {
  const logRecords = Array.from({ length: n }, (_, i) =>
    newLogRecord({
      timeUnixNano: BigInt(T0_MS + first + i) * 1_000_000n,
      severityText: 'ERROR',
      body: { stringValue: `exec ${first + i}, "quoted"\nsecond line` },
      attributes: [attr('make.execution.id', `exec-${first + i}`), attr('make.execution.operations', BigInt(first + i)), attr('make.execution.instant', true)],
    }),
  );
  return {
    resourceLogs: [
      {
        resource: { attributes: [attr('service.name', 'make'), attr('make.scenario.id', 42n)], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [{ schemaUrl: '', logRecords }],
      },
    ],
  };
}

const request = (l: Logs): ExportRequest => ({ records: countLogRecords(l), logs: () => l, bytes: () => encodeLogs(l) });
const signal = () => new AbortController().signal;

async function started(raw: Record<string, unknown>, now?: () => number) {
  const sender = new FileSender(fileExporterFactory.schema.parse(raw), silentLogger, now);
  await sender.start();
  return sender;
}

async function sendAll(sender: FileSender, batches: Logs[]) {
  const results = await Promise.all(batches.map((b) => sender.send(request(b), signal())));
  for (const r of results) expect(r.kind).toBe('success');
}

const csvOf = (file: string) => parse(readFileSync(file), { columns: true }) as Record<string, string>[];
const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `exec-${from + i}`);

describe('file exporter format csv', () => {
  it('appends RFC 4180 rows under one header with the export engine default columns; every record once', async () => {
    const file = path.join(dir, 'out.csv');
    const sender = await started({ path: file, format: 'csv' });
    await sendAll(sender, [makeLogs(0, 50), makeLogs(50, 50), makeLogs(100, 25)]);
    await sender.shutdown();
    const text = readFileSync(file, 'utf8');
    const header = text.slice(0, text.indexOf('\r\n')).split(',');
    expect(header).toEqual(DEFAULT_FIELDS.map((f) => (f.includes(':') ? f.slice(f.lastIndexOf(':') + 1) : f)));
    const rows = csvOf(file);
    expect(rows.map((r) => r['make.execution.id'])).toEqual(ids(0, 125));
    expect(rows[3].time).toBe(new Date(T0_MS + 3).toISOString());
    expect(rows[3].body).toBe('exec 3, "quoted"\nsecond line');
    expect(rows[3].severity).toBe('ERROR');
    expect(rows[3]['make.scenario.id']).toBe('42');
    expect(rows[3]['make.execution.instant']).toBe('true');
    expect(rows[3]['make.team.id']).toBe('');
  });

  it('takes fields with renames, and writes no second header when appending to a non-empty file', async () => {
    const file = path.join(dir, 'out.csv');
    const cfg = { path: file, format: 'csv', append: true, fields: ['time', 'make.execution.id:id', 'resource.service.name:svc'] };
    let sender = await started(cfg);
    await sendAll(sender, [makeLogs(0, 3)]);
    await sender.shutdown();
    sender = await started(cfg);
    await sendAll(sender, [makeLogs(3, 2)]);
    await sender.shutdown();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('time,id,svc');
    expect(lines.filter((l) => l === 'time,id,svc')).toHaveLength(1);
    expect(csvOf(file).map((r) => [r.id, r.svc])).toEqual(ids(0, 5).map((id) => [id, 'make']));
  });

  it('starts every rotated file with the header', async () => {
    const file = path.join(dir, 'out.csv');
    const sender = await started({ path: file, format: 'csv', fields: ['make.execution.id:id', 'body'], rotation: { max_megabytes: 1 } });
    const big = (first: number) => {
      const l = makeLogs(first, 400);
      for (const r of l.resourceLogs[0].scopeLogs[0].logRecords) r.body = { stringValue: 'x'.repeat(1000) };
      return l;
    };
    for (let i = 0; i < 6; i++) await sendAll(sender, [big(i * 400)]);
    await sender.shutdown();
    const files = readdirSync(dir).filter((f) => f.endsWith('.csv'));
    expect(files.length).toBeGreaterThan(1);
    const all: string[] = [];
    for (const f of files) {
      expect(readFileSync(path.join(dir, f), 'utf8').startsWith('id,body\r\n')).toBe(true);
      all.push(...csvOf(path.join(dir, f)).map((r) => r.id));
    }
    expect(all.sort()).toEqual(ids(0, 2400).sort());
  });
});

describe('file exporter format parquet', () => {
  it('writes one complete typed Parquet file per request next to path; every record once', async () => {
    const file = path.join(dir, 'logs.parquet');
    let clock = Date.UTC(2026, 11, 4, 18, 52, 2, 123);
    const sender = await started({ path: file, format: 'parquet' }, () => clock);
    await sendAll(sender, [makeLogs(0, 40), makeLogs(40, 40)]);
    clock += 1000;
    await sendAll(sender, [makeLogs(80, 20), { resourceLogs: [] }]);
    await sender.shutdown();
    const files = readdirSync(dir).sort();
    // No temp files left behind, no file for the empty request, no file at `path` itself.
    expect(files).toEqual(['logs-2026-12-04T18-52-02.123-000000.parquet', 'logs-2026-12-04T18-52-02.123-000001.parquet', 'logs-2026-12-04T18-52-03.123-000002.parquet']);
    const seen: string[] = [];
    for (const f of files) {
      const buf = readFileSync(path.join(dir, f));
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      const meta = parquetMetadata(ab);
      const col = (name: string) => meta.schema.find((s) => s.name === name)!;
      expect(col('time').type).toBe('INT64');
      expect(col('time').converted_type).toBe('TIMESTAMP_MILLIS');
      expect(col('make.execution.operations').type).toBe('INT64');
      expect(col('make.execution.instant').type).toBe('BOOLEAN');
      expect(col('make.execution.id').converted_type).toBe('UTF8');
      expect(meta.row_groups[0].columns[0].meta_data?.codec).toBe('SNAPPY');
      const rows = (await parquetReadObjects({ file: ab })) as Record<string, unknown>[];
      for (const r of rows) {
        const n = Number((r['make.execution.id'] as string).slice(5));
        expect((r.time as Date).getTime()).toBe(T0_MS + n);
        expect(r['make.execution.operations']).toBe(BigInt(n));
        expect(r['make.scenario.id']).toBe(42n);
        seen.push(r['make.execution.id'] as string);
      }
    }
    expect(seen.sort()).toEqual(ids(0, 100).sort());
  });

  it('never overwrites an existing file and honours compression zstd and fields', async () => {
    const file = path.join(dir, 'logs.parquet');
    const clock = () => Date.UTC(2026, 0, 1);
    const taken = path.join(dir, 'logs-2026-01-01T00-00-00.000-000000.parquet');
    writeFileSync(taken, 'not ours');
    const sender = await started({ path: file, format: 'parquet', compression: 'zstd', fields: ['make.execution.id:id'] }, clock);
    await sendAll(sender, [makeLogs(0, 5)]);
    await sender.shutdown();
    expect(readFileSync(taken, 'utf8')).toBe('not ours');
    const buf = readFileSync(path.join(dir, 'logs-2026-01-01T00-00-00.000-000001.parquet'));
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    expect(parquetMetadata(ab).row_groups[0].columns[0].meta_data?.codec).toBe('ZSTD');
    // hyparquet reads ZSTD pages only with a decompressor supplied.
    const compressors = { ZSTD: (input: Uint8Array) => zstdDecompress(input) };
    expect(await parquetReadObjects({ file: ab, compressors })).toEqual(ids(0, 5).map((id) => ({ id })));
  });
  it('fails at start when the directory for the files does not exist', async () => {
    const sender = new FileSender(fileExporterFactory.schema.parse({ path: path.join(dir, 'missing', 'l.parquet'), format: 'parquet' }), silentLogger);
    await expect(sender.start()).rejects.toThrow(/cannot open/);
    const created = await started({ path: path.join(dir, 'made', 'l.parquet'), format: 'parquet', create_directory: true });
    await sendAll(created, [makeLogs(0, 1)]);
    await created.shutdown();
    expect(readdirSync(path.join(dir, 'made'))).toHaveLength(1);
  });
});

describe('file exporter flat formats config', () => {
  const problems = (raw: Record<string, unknown>) => {
    const r = fileExporterFactory.schema.safeParse({ path: '/tmp/x', ...raw });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  it('refuses combinations that do not apply, with the key named', () => {
    expect(problems({ format: 'csv', compression: 'zstd' })).toEqual([expect.stringMatching(/^compression: .*csv/)]);
    expect(problems({ format: 'parquet', rotation: {} })).toEqual([expect.stringMatching(/^rotation: .*parquet/)]);
    expect(problems({ format: 'parquet', append: true })).toEqual([expect.stringMatching(/^append: .*parquet/)]);
    expect(problems({ format: 'json', fields: ['time'] })).toEqual([expect.stringMatching(/^fields: .*csv or parquet/)]);
    expect(problems({ format: 'csv', fields: ['time', 'body:time'] })).toEqual([expect.stringMatching(/^fields: .*twice/)]);
    expect(problems({ format: 'csv', fields: [] })).toHaveLength(1);
    expect(problems({ format: 'xml' })).toHaveLength(1);
    expect(problems({ format: 'parquet', compression: 'zstd', fields: ['time'] })).toEqual([]);
  });
});
