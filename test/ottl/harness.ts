import type { Logs, LogRecord, ResourceLogs } from '../../src/pdata/model.js';
import { newLogRecord } from '../../src/pdata/model.js';
import { attr, fromAnyValue } from '../../src/pdata/values.js';
import type { CreateSettings, LogsConsumer } from '../../src/pipeline/component.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { transformProcessorFactory } from '../../src/processors/transform/factory.js';

/** Shared helpers for OTTL and processor tests: build records, run statements, read results. */

export function settings(id = 'transform'): CreateSettings {
  return { id, telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger };
}

export class Capture implements LogsConsumer {
  readonly batches: Logs[] = [];
  async consume(logs: Logs): Promise<void> {
    this.batches.push(logs);
  }
}

export function attrs(o: Record<string, unknown>) {
  return Object.entries(o).map(([k, v]) => attr(k, v));
}

export interface RecordSpec {
  attributes?: Record<string, unknown>;
  body?: unknown;
  fields?: Partial<LogRecord>;
}

export function logsOf(records: RecordSpec[], resource: Record<string, unknown> = {}, scope = { name: 'make', version: '1.0' }): Logs {
  const rl: ResourceLogs = {
    resource: { attributes: attrs(resource), droppedAttributesCount: 0 },
    scopeLogs: [
      {
        scope: { ...scope, attributes: [], droppedAttributesCount: 0 },
        logRecords: records.map((r) =>
          newLogRecord({ ...r.fields, attributes: attrs(r.attributes ?? {}), body: r.body === undefined ? undefined : attr('b', r.body).value }),
        ),
        schemaUrl: '',
      },
    ],
    schemaUrl: '',
  };
  return { resourceLogs: [rl] };
}

export function plainAttrs(kvs: { key: string; value?: unknown }[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const kv of kvs) o[kv.key] = fromAnyValue(kv.value as never);
  return o;
}

export function firstRecord(logs: Logs): LogRecord {
  return logs.resourceLogs[0].scopeLogs[0].logRecords[0];
}

/** Runs statements through the transform processor (error_mode propagate, so errors surface). */
export async function transform(statements: unknown[], logs: Logs, errorMode = 'propagate'): Promise<Logs> {
  const config = transformProcessorFactory.schema.parse({ error_mode: errorMode, log_statements: statements });
  const out = new Capture();
  const p = transformProcessorFactory.create(settings(), config, out);
  await p.consume(logs);
  return out.batches[0];
}

/** Evaluates an expression against one record; nil comes back as undefined. */
export async function evaluate(expr: string, record: RecordSpec = {}, resource: Record<string, unknown> = {}): Promise<unknown> {
  const out = await transform([`set(cache["out"], ${expr})`, 'set(attributes["__out"], cache["out"])'], logsOf([record], resource));
  return plainAttrs(firstRecord(out).attributes).__out;
}

/** The value of a counter for one processor label. */
export async function counterValue(counter: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> }, processor: string): Promise<number> {
  const m = await counter.get();
  return m.values.find((v) => v.labels.processor === processor)?.value ?? 0;
}
