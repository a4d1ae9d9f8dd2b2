/**
 * Records/s through a 5-statement OTTL transform versus no processor.
 * Run: npx tsx bench/ottl-transform.bench.ts [records-per-batch] [batches]
 *
 * Each batch is built fresh (transform edits records in place), so three numbers are printed:
 * pass-through (build + hand on), transform (build + transform + hand on), and the transform's
 * own cost measured around `consume` alone.
 */
import { performance } from 'node:perf_hooks';
import type { Logs, LogRecord } from '../src/pdata/model.js';
import { newLogRecord, SeverityNumber } from '../src/pdata/model.js';
import { attr } from '../src/pdata/values.js';
import type { LogsConsumer } from '../src/pipeline/component.js';
import { transformProcessorFactory } from '../src/processors/transform/factory.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';

const RECORDS_PER_BATCH = Number(process.argv[2] ?? 1000);
const BATCHES = Number(process.argv[3] ?? 300);
const WARMUP_BATCHES = 30;

export const STATEMENTS = [
  'set(attributes["enduser.id"], attributes["make.execution.author_id"])',
  'delete_key(attributes, "make.execution.author_id")',
  'replace_pattern(body, "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\\\.[A-Za-z]{2,}", "<email>")',
  'set(severity_text, "WARN") where attributes["make.execution.status"] == "warning"',
  'set(attributes["make.slow"], true) where attributes["make.execution.duration_ms"] > 1000',
];

const STATUSES = ['success', 'success', 'warning', 'error'];

function record(i: number): LogRecord {
  const status = STATUSES[i % 4];
  return newLogRecord({
    timeUnixNano: 1_700_000_000_000_000_000n + BigInt(i),
    severityNumber: status === 'error' ? SeverityNumber.ERROR : SeverityNumber.INFO,
    eventName: 'make.scenario.execution',
    body: { stringValue: i % 4 === 3 ? `Sync CRM ${i}: error, mail to jane.doe@example.com bounced` : `Sync CRM ${i}: ${status} in ${i % 3000} ms, 3 operations` },
    attributes: [
      attr('make.execution.id', i.toString(16).padStart(32, '0')),
      attr('make.execution.status', status),
      attr('make.execution.type', 'auto'),
      attr('make.execution.duration_ms', BigInt(i % 3000)),
      attr('make.execution.operations', 3n),
      attr('make.execution.transfer_bytes', 1024n),
      attr('make.execution.centicredits', 300n),
      attr('make.execution.author_id', 991n),
    ],
  });
}

function batch(): Logs {
  const logRecords: LogRecord[] = new Array(RECORDS_PER_BATCH);
  for (let i = 0; i < RECORDS_PER_BATCH; i++) logRecords[i] = record(i);
  return {
    resourceLogs: [
      {
        resource: { attributes: [attr('service.name', 'make'), attr('make.scenario.id', 42n)], droppedAttributesCount: 0 },
        scopeLogs: [{ scope: { name: 'make', version: '0.1.0', attributes: [], droppedAttributesCount: 0 }, logRecords, schemaUrl: '' }],
        schemaUrl: '',
      },
    ],
  };
}

const sink: LogsConsumer = { consume: async () => {} };

async function measure(consumer: LogsConsumer): Promise<{ total: number; inConsume: number }> {
  for (let i = 0; i < WARMUP_BATCHES; i++) await consumer.consume(batch());
  let inConsume = 0;
  const start = performance.now();
  for (let i = 0; i < BATCHES; i++) {
    const logs = batch();
    const t = performance.now();
    await consumer.consume(logs);
    inConsume += performance.now() - t;
  }
  return { total: performance.now() - start, inConsume };
}

async function main(): Promise<void> {
  const config = transformProcessorFactory.schema.parse({ error_mode: 'ignore', log_statements: STATEMENTS });
  const settings = { id: 'transform', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger };
  const transform = transformProcessorFactory.create(settings, config, sink);
  const records = RECORDS_PER_BATCH * BATCHES;
  const rate = (ms: number) => Math.round(records / (ms / 1000)).toLocaleString('en-US');

  const base = await measure(sink);
  const withTransform = await measure(transform);
  console.log(`node ${process.version}, ${BATCHES} batches × ${RECORDS_PER_BATCH} records, ${STATEMENTS.length} statements`);
  console.log(`no processor      ${rate(base.total).padStart(12)} records/s  (build batch + hand on)`);
  console.log(`transform         ${rate(withTransform.total).padStart(12)} records/s  (build batch + transform + hand on)`);
  console.log(`transform alone   ${rate(withTransform.inConsume).padStart(12)} records/s  (${((withTransform.inConsume * 1e6) / records).toFixed(0)} ns per record)`);
}

await main();
