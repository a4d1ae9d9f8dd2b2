import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { LogRecord, Logs } from '../../src/pdata/model.js';
import { newLogRecord } from '../../src/pdata/model.js';
import { fromAnyValue, toAnyValue } from '../../src/pdata/values.js';
import type { ProcessorFactory } from '../../src/pipeline/factory.js';
import { filterProcessorFactory } from '../../src/processors/filter/factory.js';
import { transformProcessorFactory } from '../../src/processors/transform/factory.js';
import { attrs, Capture, settings } from './harness.js';

/**
 * Runs the documented Collector examples kept in test/fixtures/ottl/*.yaml: each case has a
 * processor config, input records and the output the Collector's documentation describes.
 */

interface RecordFixture {
  body?: unknown;
  attributes?: Record<string, unknown>;
  severity_number?: number;
  severity_text?: string;
}

interface Case {
  name: string;
  processor: 'transform' | 'filter';
  config: unknown;
  input: { resource?: Record<string, unknown>; records: RecordFixture[] };
  expected: { resource?: Record<string, unknown>; records?: RecordFixture[] };
}

const FIXTURES = join(import.meta.dirname, '../fixtures/ottl');
const FACTORIES: Record<Case['processor'], ProcessorFactory> = { transform: transformProcessorFactory, filter: filterProcessorFactory };

/** YAML numbers → JS numbers; compare outputs in the same plain shape (bigint → number). */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function toRecord(r: RecordFixture): LogRecord {
  return newLogRecord({
    attributes: attrs(r.attributes ?? {}),
    body: r.body === undefined ? undefined : toAnyValue(r.body),
    severityNumber: r.severity_number ?? 0,
    severityText: r.severity_text ?? '',
  });
}

function toLogs(input: Case['input']): Logs {
  return {
    resourceLogs: [
      {
        resource: { attributes: attrs(input.resource ?? {}), droppedAttributesCount: 0 },
        scopeLogs: [{ scope: { name: 'fixture', version: '', attributes: [], droppedAttributesCount: 0 }, logRecords: input.records.map(toRecord), schemaUrl: '' }],
        schemaUrl: '',
      },
    ],
  };
}

function attrMap(kvs: { key: string; value?: unknown }[]): Record<string, unknown> {
  return plain(Object.fromEntries(kvs.map((kv) => [kv.key, fromAnyValue(kv.value as never)]))) as Record<string, unknown>;
}

const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml'));

describe.each(files)('Collector documentation examples in %s', (file) => {
  const cases = (parse(readFileSync(join(FIXTURES, file), 'utf8')) as { cases: Case[] }).cases;
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const factory = FACTORIES[c.processor];
    const out = new Capture();
    const processor = factory.create(settings(c.processor), factory.schema.parse(c.config), out);
    await processor.consume(toLogs(c.input));
    const result = out.batches[0];
    const records = result ? result.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords)) : [];
    if (c.expected.records) {
      expect(records).toHaveLength(c.expected.records.length);
      c.expected.records.forEach((want, i) => {
        const got = records[i];
        if (want.attributes) expect(attrMap(got.attributes)).toEqual(want.attributes);
        if (want.body !== undefined) expect(plain(fromAnyValue(got.body))).toEqual(want.body);
        if (want.severity_number !== undefined) expect(got.severityNumber).toBe(want.severity_number);
        if (want.severity_text !== undefined) expect(got.severityText).toBe(want.severity_text);
      });
    }
    if (c.expected.resource) expect(attrMap(result.resourceLogs[0].resource!.attributes)).toEqual(c.expected.resource);
  });
});
