import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, END_MS, expectedIds, sha256, startHarness, type Harness } from './harness.js';

/**
 * Acceptance 1: a CLI export of a 3-day range to each format returns exactly the executions in
 * range and selection, read back with independent readers (csv-parse, hyparquet), with sha256 and
 * counts matching manifest.json.
 */

let h: Harness;
const FROM = new Date(END_MS - 5 * DAY_MS).toISOString();
const TO = new Date(END_MS - 2 * DAY_MS).toISOString();
const FROM_MS = END_MS - 5 * DAY_MS;
const TO_MS = END_MS - 2 * DAY_MS;
const SELECTION = ['--scenario', '100', '--scenario', '101', '--scenario', '103', '--status', 'error', '--status', 'warning'];

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

interface Manifest {
  job: string;
  records: number;
  files: { path: string; records: number; bytes: number; sha256: string }[];
}

async function exportTo(format: string, extra: string[] = []) {
  const out = join(h.dir, `out-${format}-${extra.join('_').replace(/[^a-z0-9]/gi, '')}`);
  const r = await h.run(['export', '--from', FROM, '--to', TO, ...SELECTION, '--format', format, '--out', out, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
  // The summary line and the manifest agree, and the manifest's hashes and sizes are the files'.
  expect(r.summary!.state).toBe('succeeded');
  expect(r.summary!.records).toBe(manifest.records);
  expect(r.summary!.files.map((f) => ({ ...f, path: f.path.split('/').pop() }))).toEqual(manifest.files);
  for (const f of manifest.files) {
    const p = join(out, f.path);
    expect(sha256(p)).toBe(f.sha256);
    expect(readFileSync(p).length).toBe(f.bytes);
  }
  return { out, manifest, summary: r.summary! };
}

const expected = () => expectedIds(h.api, FROM_MS, TO_MS, [100, 101, 103], [2, 3]);

describe('export to each format', () => {
  it('jsonl (gzip, chunked by records) holds exactly the selected executions, counts as in the manifest', { timeout: 120_000 }, async () => {
    const { out, manifest } = await exportTo('jsonl', ['--compression', 'gzip', '--chunk-records', '25']);
    expect(manifest.files.length).toBeGreaterThan(1);
    const ids: string[] = [];
    for (const f of manifest.files) {
      const lines = gunzipSync(readFileSync(join(out, f.path))).toString('utf8').trim().split('\n');
      expect(lines.length).toBe(f.records);
      expect(f.records).toBeLessThanOrEqual(25);
      for (const line of lines) {
        const o = JSON.parse(line) as Record<string, unknown>;
        const t = Date.parse(o.time as string);
        expect(t).toBeGreaterThanOrEqual(FROM_MS);
        expect(t).toBeLessThan(TO_MS);
        expect(['error', 'warning']).toContain(o['make.execution.status']);
        expect(typeof o['make.execution.operations']).toBe('number');
        ids.push(o['make.execution.id'] as string);
      }
    }
    expect(ids.sort()).toEqual(expected());
    expect(manifest.records).toBe(expected().length);
  });

  it('csv is RFC 4180 with a header row and the renamed columns of --fields', { timeout: 120_000 }, async () => {
    const { out, manifest } = await exportTo('csv', ['--fields', 'time,make.scenario.id:scenario_id,make.scenario.name:scenario,make.execution.id:execution,make.execution.status:status,make.execution.operations:ops']);
    expect(manifest.files).toHaveLength(1);
    const text = readFileSync(join(out, manifest.files[0].path), 'utf8');
    expect(text.split('\r\n')[0]).toBe('time,scenario_id,scenario,execution,status,ops');
    const rows = parseCsv(text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(manifest.files[0].records);
    expect(rows.map((r) => r.execution).sort()).toEqual(expected());
    // Scenario names with a comma and quotes survive quoting.
    expect(new Set(rows.map((r) => r.scenario))).toEqual(new Set(['Scenario 1, "quoted"', 'Scenario 2, "quoted"', 'Scenario 4, "quoted"']));
    for (const r of rows) expect(['error', 'warning']).toContain(r.status);
  });

  it('parquet has typed columns: TIMESTAMP(ms) times and INT64 ints', { timeout: 120_000 }, async () => {
    const { out, manifest } = await exportTo('parquet');
    const buf = readFileSync(join(out, manifest.files[0].path));
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const meta = parquetMetadata(file);
    const col = (name: string) => meta.schema.find((s) => s.name === name)!;
    expect(col('time').type).toBe('INT64');
    expect(col('time').converted_type).toBe('TIMESTAMP_MILLIS');
    expect(col('make.execution.operations').type).toBe('INT64');
    expect(col('make.scenario.id').type).toBe('INT64');
    expect(col('make.execution.status').converted_type).toBe('UTF8');
    const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    expect(rows).toHaveLength(manifest.files[0].records);
    expect(rows.map((r) => r['make.execution.id'] as string).sort()).toEqual(expected());
    for (const r of rows) {
      const t = (r.time as Date).getTime();
      expect(t).toBeGreaterThanOrEqual(FROM_MS);
      expect(t).toBeLessThan(TO_MS);
      expect(typeof r['make.execution.operations']).toBe('bigint');
    }
  });

  it('otlp-json (brotli) lines are OTLP/JSON LogsData with the receiver\'s mapping', { timeout: 120_000 }, async () => {
    const { out, manifest } = await exportTo('otlp-json', ['--compression', 'brotli']);
    const lines = brotliDecompressSync(readFileSync(join(out, manifest.files[0].path))).toString('utf8').trim().split('\n');
    const ids: string[] = [];
    for (const line of lines) {
      const data = JSON.parse(line) as { resourceLogs: { resource: { attributes: { key: string }[] }; scopeLogs: { logRecords: { severityText: string; attributes: { key: string; value: { stringValue?: string } }[] }[] }[] }[] };
      for (const rl of data.resourceLogs) {
        expect(rl.resource.attributes.map((a) => a.key)).toContain('make.scenario.id');
        for (const sl of rl.scopeLogs) for (const rec of sl.logRecords) {
          expect(['WARN', 'ERROR']).toContain(rec.severityText);
          ids.push(rec.attributes.find((a) => a.key === 'make.execution.id')!.value.stringValue!);
        }
      }
    }
    expect(ids.sort()).toEqual(expected());
  });

  it('applies --where (OTTL) and --statement, and is idempotent when run again', { timeout: 120_000 }, async () => {
    const args = ['--where', 'attributes["make.execution.operations"] > 3', '--statement', 'set(attributes["team"], "ops")', '--fields', 'make.execution.id:id,make.execution.operations:ops,team'];
    const first = await exportTo('jsonl', args);
    const rows = readFileSync(join(first.out, first.manifest.files[0].path), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; ops: number; team: string });
    const want = h.api.allExecutions().filter((e) => expected().includes(e.id) && e.operations > 3).map((e) => e.id).sort();
    expect(rows.map((r) => r.id).sort()).toEqual(want);
    expect(rows.every((r) => r.team === 'ops' && r.ops > 3)).toBe(true);
    const manifestText = readFileSync(join(first.out, 'manifest.json'), 'utf8');
    const again = await exportTo('jsonl', args);
    expect(again.summary.job).toBe(first.summary.job);
    expect(readFileSync(join(again.out, 'manifest.json'), 'utf8')).toBe(manifestText);
  });

  it('refuses a bad range and an unknown scenario with exit codes 2 and 1, never echoing the token', { timeout: 120_000 }, async () => {
    const bad = await h.run(['export', '--from', 'yesterday', '--to', 'now', '--out', join(h.dir, 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('from');
    const badWhere = await h.run(['export', '--from', '-1d', '--to', 'now', '--where', 'attributes["x" ==', '--out', join(h.dir, 'w')]);
    expect(badWhere.code).toBe(2);
    expect(badWhere.stderr).toMatch(/^where/m);
    const relative = await h.run(['export', '--from', '-1d', '--to', 'now', '--out', join(h.dir, 'rel')]);
    expect(relative.code, relative.stderr).toBe(0);
    expect(relative.summary!.records).toBe(0);
    const unknown = await h.run(['export', '--from', FROM, '--to', TO, '--scenario', '999', '--out', join(h.dir, 'y')]);
    expect(unknown.code).toBe(1);
    expect(unknown.summary?.state).toBe('failed');
    expect(unknown.stderr).toContain('unknown scenario 999');
    expect(unknown.stderr + unknown.stdout).not.toContain('make-token-0123456789abcdef');
  });
});
