import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Logs } from '../../../src/pdata/model.js';
import { newLogRecord, SeverityNumber } from '../../../src/pdata/model.js';
import { attr, fromAnyValue } from '../../../src/pdata/values.js';
import type { LogsConsumer } from '../../../src/pipeline/component.js';
import type { ProcessorFactory } from '../../../src/pipeline/factory.js';
import { filterProcessorFactory } from '../../../src/processors/filter/factory.js';
import { redactionProcessorFactory } from '../../../src/processors/redaction/factory.js';
import { transformProcessorFactory } from '../../../src/processors/transform/factory.js';
import { Capture, counterValue, plainAttrs, settings } from '../../ottl/harness.js';

/** examples/make-filter-redact.yaml, run through filter → transform → redaction with Make-shaped records. */

const EXAMPLE = join(import.meta.dirname, '../../../examples/make-filter-redact.yaml');
const config = parse(readFileSync(EXAMPLE, 'utf8')) as { processors: Record<string, unknown> };

function chain(sink: LogsConsumer) {
  const s = settings('chain');
  const build = (id: string, factory: ProcessorFactory, next: LogsConsumer) => factory.create({ ...s, id }, factory.schema.parse(config.processors[id]), next);
  const redaction = build('redaction/make', redactionProcessorFactory, sink);
  const transform = build('transform/make', transformProcessorFactory, redaction);
  const filter = build('filter/fast-successes', filterProcessorFactory, transform);
  return { head: filter, telemetry: s.telemetry };
}

/** A record shaped like the make receiver's mapping (docs/make-receiver.md). */
function execution(id: string, status: string, durationMs: number, body: string, extra: Record<string, unknown> = {}) {
  const severity = status === 'error' ? SeverityNumber.ERROR : status === 'warning' ? SeverityNumber.WARN : SeverityNumber.INFO;
  return newLogRecord({
    timeUnixNano: 1_700_000_000_000_000_000n,
    observedTimeUnixNano: 1_700_000_060_000_000_000n,
    eventName: 'make.scenario.execution',
    severityNumber: severity,
    severityText: status === 'error' ? 'ERROR' : status === 'warning' ? '' : 'INFO',
    body: { stringValue: body },
    attributes: [
      attr('make.execution.id', id),
      attr('make.execution.imt_id', `1700000000000_scenario.42.auto.${id}`),
      attr('make.execution.status', status),
      attr('make.execution.type', 'auto'),
      attr('make.execution.duration_ms', BigInt(durationMs)),
      attr('make.execution.operations', 3n),
      attr('make.execution.transfer_bytes', 1024n),
      attr('make.execution.centicredits', 300n),
      attr('make.execution.instant', false),
      attr('make.execution.author_id', 991n),
      ...Object.entries(extra).map(([k, v]) => attr(k, v)),
    ],
  });
}

function makeLogs(): Logs {
  return {
    resourceLogs: [
      {
        resource: {
          attributes: [attr('service.name', 'make'), attr('make.organization.id', 7n), attr('make.team.id', 1n), attr('make.scenario.id', 42n), attr('make.scenario.name', 'Sync CRM'), attr('make.zone', 'eu1.make.com')],
          droppedAttributesCount: 0,
        },
        scopeLogs: [
          {
            scope: { name: 'make-otel-gateway/make', version: '0.1.0', attributes: [], droppedAttributesCount: 0 },
            logRecords: [
              execution('a'.repeat(32), 'success', 250, 'Sync CRM a… success in 250 ms, 3 operations'),
              execution('b'.repeat(32), 'error', 120, 'Sync CRM b… error: mail to jane.doe@example.com bounced', { 'make.webhook.token': 'tok_123' }),
              execution('c'.repeat(32), 'success', 4_500, 'Sync CRM c… success in 4500 ms', { note: 'Authorization: Bearer abc.def-123' }),
              execution('d'.repeat(32), 'warning', 800, 'Sync CRM d… warning, notified ops@corp.io'),
            ],
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ],
  };
}

describe('examples/make-filter-redact.yaml through filter → transform → redaction', () => {
  it('drops fast successes, keeps errors, warnings and slow runs, masks e-mails, renames and redacts', async () => {
    const sink = new Capture();
    const { head, telemetry } = chain(sink);
    await head.consume(makeLogs());

    expect(sink.batches).toHaveLength(1);
    const records = sink.batches[0].resourceLogs[0].scopeLogs[0].logRecords;
    const byId = Object.fromEntries(records.map((r) => [plainAttrs(r.attributes)['make.execution.id'], r]));
    expect(Object.keys(byId).map((id) => id[0])).toEqual(['b', 'c', 'd']);

    const error = byId['b'.repeat(32)];
    expect(fromAnyValue(error.body)).toBe('Sync CRM b… error: mail to <email> bounced');
    const errorAttrs = plainAttrs(error.attributes);
    expect(errorAttrs['enduser.id']).toBe(991n);
    expect(errorAttrs['make.execution.author_id']).toBeUndefined();
    expect(errorAttrs['make.execution.duration']).toBe(120n);
    expect(errorAttrs['make.execution.duration_ms']).toBeUndefined();
    expect(errorAttrs['make.webhook.token']).toBe('****');
    expect(errorAttrs['redaction.masked.count']).toBe(1n);

    const slow = plainAttrs(byId['c'.repeat(32)].attributes);
    expect(slow.note).toBe('Authorization: ****');

    const warning = byId['d'.repeat(32)];
    expect(fromAnyValue(warning.body)).toBe('Sync CRM d… warning, notified <email>');
    expect(warning.severityText).toBe('WARN');

    expect(plainAttrs(sink.batches[0].resourceLogs[0].resource!.attributes)['make.scenario.name']).toBe('Sync CRM');
    expect(await counterValue(telemetry.filterDropped, 'filter/fast-successes')).toBe(1);
    expect(await counterValue(telemetry.processorOutgoing, 'redaction/make')).toBe(3);
  });

  it('passes nothing on when every execution is a fast success', async () => {
    const sink = new Capture();
    const { head } = chain(sink);
    const logs = makeLogs();
    logs.resourceLogs[0].scopeLogs[0].logRecords = [execution('e'.repeat(32), 'success', 10, 'ok')];
    await head.consume(logs);
    expect(sink.batches).toHaveLength(0);
  });
});
