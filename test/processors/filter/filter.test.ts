import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../../src/errors.js';
import type { Logs } from '../../../src/pdata/model.js';
import { filterProcessorFactory } from '../../../src/processors/filter/factory.js';
import { Capture, counterValue, logsOf, plainAttrs, settings } from '../../ottl/harness.js';

function make(config: unknown, id = 'filter') {
  const s = settings(id);
  const out = new Capture();
  const p = filterProcessorFactory.create(s, filterProcessorFactory.schema.parse(config), out);
  return { p, out, s };
}

function twoResources(): Logs {
  const a = logsOf([{ attributes: { status: 'success', duration_ms: 200n } }, { attributes: { status: 'error', duration_ms: 50n } }], { 'host.name': 'a' });
  const b = logsOf([{ attributes: { status: 'success', duration_ms: 5n } }], { 'host.name': 'b' });
  return { resourceLogs: [...a.resourceLogs, ...b.resourceLogs] };
}

describe('filter processor', () => {
  it('drops records for which any log_record condition is true and removes emptied containers', async () => {
    const { p, out, s } = make({ logs: { log_record: ['attributes["status"] == "success" and attributes["duration_ms"] < 1000', 'attributes["never"] == true'] } });
    await p.consume(twoResources());
    expect(out.batches).toHaveLength(1);
    const kept = out.batches[0];
    expect(kept.resourceLogs).toHaveLength(1);
    expect(plainAttrs(kept.resourceLogs[0].scopeLogs[0].logRecords[0].attributes).status).toBe('error');
    expect(await counterValue(s.telemetry.filterDropped, 'filter')).toBe(2);
    expect(await counterValue(s.telemetry.processorIncoming, 'filter')).toBe(3);
    expect(await counterValue(s.telemetry.processorOutgoing, 'filter')).toBe(1);
  });

  it('does not call the next consumer when every record is dropped', async () => {
    const { p, out, s } = make({ logs: { log_record: ['true'] } });
    await expect(p.consume(twoResources())).resolves.toBeUndefined();
    expect(out.batches).toHaveLength(0);
    expect(await counterValue(s.telemetry.filterDropped, 'filter')).toBe(3);
  });

  it('uses resource paths in log_record conditions', async () => {
    const { p, out } = make({ logs: { log_record: ['resource.attributes["host.name"] == "b"'] } });
    await p.consume(twoResources());
    expect(out.batches[0].resourceLogs.map((rl) => plainAttrs(rl.resource!.attributes)['host.name'])).toEqual(['a']);
  });

  it('accepts log_conditions and drops whole resources for resource-only conditions', async () => {
    const { p, out, s } = make({ log_conditions: ['resource.attributes["host.name"] == "a"', 'log.severity_number < SEVERITY_NUMBER_WARN and log.attributes["status"] == "success"'] });
    await p.consume(twoResources());
    expect(out.batches).toHaveLength(0);
    expect(await counterValue(s.telemetry.filterDropped, 'filter')).toBe(3);
  });

  it('propagate (the default) refuses the batch with a PermanentError when a condition fails', async () => {
    const { p, out, s } = make({ logs: { log_record: ['Substring(attributes["status"], 10, 2) == "x"'] } });
    await expect(p.consume(twoResources())).rejects.toBeInstanceOf(PermanentError);
    expect(out.batches).toHaveLength(0);
    expect(await counterValue(s.telemetry.statementErrors, 'filter')).toBe(1);
  });

  it('ignore treats a failing condition as false and counts the error', async () => {
    const { p, out, s } = make({ error_mode: 'ignore', logs: { log_record: ['Substring(attributes["status"], 10, 2) == "x"', 'attributes["status"] == "error"'] } });
    await p.consume(twoResources());
    expect(out.batches[0].resourceLogs.flatMap((rl) => rl.scopeLogs[0].logRecords)).toHaveLength(2);
    expect(await counterValue(s.telemetry.statementErrors, 'filter')).toBe(3);
  });

  it('refuses malformed conditions and malformed legacy match properties at config time', () => {
    const bad = filterProcessorFactory.schema.safeParse({ logs: { log_record: ['attributes["a"] == '] } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0].path).toEqual(['logs', 'log_record', 0]);
    expect(bad.error!.issues[0].message).toContain('unexpected end of statement at column 20');
    const several = filterProcessorFactory.schema.safeParse({ logs: { log_record: ['Nope(body)', 'attributes["a"] == 1', 'attributes["b"] =='] }, log_conditions: ['Nope2()'] });
    expect(several.error!.issues.map((i) => i.path)).toEqual([['logs', 'log_record', 0], ['logs', 'log_record', 2], ['log_conditions', 0]]);
    expect(filterProcessorFactory.schema.safeParse({ logs: { include: { match_type: 'fuzzy' } } }).success).toBe(false);
    const severity = filterProcessorFactory.schema.safeParse({ logs: { include: { match_type: 'strict', severity_number: { min: 'LOUD' } } } });
    expect(severity.error!.issues[0].message).toContain('expected a severity like "INFO"');
    expect(filterProcessorFactory.schema.safeParse({ error_mode: 'loud' }).success).toBe(false);
  });

  it('runs the legacy include/exclude form as the Collector does: include keeps matches, exclude drops them', async () => {
    const records = () =>
      logsOf(
        [
          { body: 'GET /health', attributes: { http_status: 200n, route: '/health' }, fields: { severityNumber: 9, severityText: 'INFO' } },
          { body: 'payment failed', attributes: { http_status: 500n, route: '/pay' }, fields: { severityNumber: 17, severityText: 'ERROR' } },
          { body: 'debug detail', attributes: { route: '/pay' }, fields: { severityNumber: 5, severityText: 'DEBUG' } },
          { body: 'no severity', attributes: { route: '/pay' } },
        ],
        { 'service.name': 'checkout' },
      );
    const bodiesAfter = async (config: unknown) => {
      const { p, out } = make(config);
      await p.consume(records());
      return out.batches.flatMap((b) => b.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => r.body?.stringValue))));
    };
    expect(await bodiesAfter({ logs: { exclude: { match_type: 'strict', bodies: ['GET /health'] } } })).toEqual(['payment failed', 'debug detail', 'no severity']);
    expect(await bodiesAfter({ logs: { include: { match_type: 'regexp', record_attributes: [{ key: 'route', value: '^/pay$' }], severity_texts: ['ERR.*', 'DEBUG'] } } })).toEqual(['payment failed', 'debug detail']);
    expect(await bodiesAfter({ logs: { include: { match_type: 'strict', resource_attributes: [{ key: 'service.name', value: 'checkout' }], severity_number: { min: 'INFO' } } } })).toEqual(['GET /health', 'payment failed']);
    expect(await bodiesAfter({ logs: { include: { match_type: 'strict', severity_number: { min: 'WARN', match_undefined: true } } } })).toEqual(['payment failed', 'no severity']);
    expect(await bodiesAfter({ logs: { include: { match_type: 'strict', record_attributes: [{ key: 'http_status', value: 500 }] }, exclude: { match_type: 'regexp', bodies: ['^debug'] } } })).toEqual(['payment failed']);
  });

  it('declares that it mutates data', () => {
    expect(filterProcessorFactory.mutatesData).toBe(true);
    expect(filterProcessorFactory.type).toBe('filter');
  });
});
