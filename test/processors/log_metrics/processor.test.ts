import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/errors.js';
import { cloneLogs, type Logs } from '../../../src/pdata/model.js';
import { logMetricsProcessorFactory } from '../../../src/processors/log_metrics/factory.js';
import { executionsToLogs, type MakeExecution } from '../../../src/receivers/make/mapping.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { Sink, captureLogger } from '../../receivers/make/helpers.js';

let seq = 0;
function execution(fields: Partial<MakeExecution> = {}): MakeExecution {
  const id = (++seq).toString(16).padStart(32, '0');
  const startMs = Date.parse('2026-03-01T10:00:00Z') + seq * 1000;
  return { id, imtId: `${startMs}_scenario.1.auto.${id}`, status: 1, duration: 1500, operations: 4, centicredits: 400, transfer: 1000, timestamp: new Date(startMs).toISOString(), ...fields };
}
const scenario = (id: number, name = `Scenario ${id}`) => ({ id, name, teamId: 27, organizationId: 21 });
const logsOf = (id: number, executions: MakeExecution[]) => executionsToLogs({ serviceName: 'make' }, scenario(id), executions, Date.now());

function build(raw: Record<string, unknown>, sink = new Sink()) {
  const telemetry = new Telemetry({ processMetrics: false });
  const config = logMetricsProcessorFactory.schema.parse(raw);
  const processor = logMetricsProcessorFactory.create({ id: 'log_metrics', telemetry, logger: captureLogger() }, config, sink);
  return { processor: processor as unknown as { consume(l: Logs): Promise<void> }, telemetry, sink };
}
const metricLine = async (t: Telemetry, prefix: string) => (await t.metrics()).split('\n').filter((l) => l.startsWith(prefix));

describe('log_metrics processor', () => {
  it('preset make: executions by scenario and status, operations, bytes, centicredits and a duration histogram', async () => {
    const { processor, telemetry, sink } = build({ preset: 'make' });
    const input = logsOf(7, [execution({ status: 1 }), execution({ status: 3, operations: 10, duration: 45_000 }), execution({ status: 1 })]);
    const before = cloneLogs(input);
    await processor.consume(input);
    await processor.consume(logsOf(8, [execution({ status: 2, centicredits: 50 })]));
    expect(sink.accepted[0]).toEqual(before); // records pass through unchanged
    const text = await telemetry.metrics();
    expect(text).toContain('make_scenario_executions_total{scenario_id="7",scenario_name="Scenario 7",status="success"} 2');
    expect(text).toContain('make_scenario_executions_total{scenario_id="7",scenario_name="Scenario 7",status="error"} 1');
    expect(text).toContain('make_scenario_executions_total{scenario_id="8",scenario_name="Scenario 8",status="warning"} 1');
    expect(text).toContain('make_scenario_operations_total{scenario_id="7"} 18');
    expect(text).toContain('make_scenario_transfer_bytes_total{scenario_id="7"} 3000');
    expect(text).toContain('make_scenario_centicredits_total{scenario_id="8"} 50');
    expect(text).toContain('make_scenario_execution_duration_seconds_bucket{le="2.5",scenario_id="7"} 2');
    expect(text).toContain('make_scenario_execution_duration_seconds_bucket{le="60",scenario_id="7"} 3');
    expect(text).toContain('make_scenario_execution_duration_seconds_sum{scenario_id="7"} 48');
    expect(text).toContain('make_scenario_execution_duration_seconds_count{scenario_id="7"} 3');
  });

  it('custom metrics: counter with where, sum of a value, labels from OTTL paths', async () => {
    const { processor, telemetry } = build({
      metrics: [
        { name: 'failed_runs_total', type: 'counter', where: 'severity_number >= SEVERITY_NUMBER_ERROR', labels: { scenario: 'resource.attributes["make.scenario.name"]' } },
        { name: 'ops_total', type: 'sum', value: 'attributes["make.execution.operations"]' },
      ],
    });
    await processor.consume(logsOf(3, [execution({ status: 3 }), execution({ status: 1, operations: 6 })]));
    expect(await metricLine(telemetry, 'failed_runs_total')).toEqual(['failed_runs_total{scenario="Scenario 3"} 1']);
    expect(await metricLine(telemetry, 'ops_total')).toEqual(['ops_total 10']);
  });

  it('bounds series with max_series and counts what overflowed', async () => {
    const { processor, telemetry, sink } = build({ preset: 'make', max_series: 3 });
    for (let id = 1; id <= 5; id++) await processor.consume(logsOf(id, [execution()]));
    const text = await telemetry.metrics();
    const series = text.split('\n').filter((l) => /^make_scenario_\w+(_total|_count)\{/.test(l));
    expect(series.length).toBeLessThanOrEqual(3);
    expect(text).toMatch(/gateway_log_metrics_dropped_total\{processor="log_metrics",metric="make_scenario_\w+",reason="max_series"\} \d+/);
    expect(sink.records()).toHaveLength(5); // records still pass
  });

  it('does not count a batch that downstream refused (its receiver sends it again)', async () => {
    const sink = new Sink();
    const { processor, telemetry } = build({ preset: 'make' }, sink);
    const batch = logsOf(9, [execution()]);
    sink.refuseNext(new RetryableError('queue full'));
    await expect(processor.consume(cloneLogs(batch))).rejects.toThrow('queue full');
    await processor.consume(cloneLogs(batch));
    expect(await telemetry.metrics()).toContain('make_scenario_executions_total{scenario_id="9",scenario_name="Scenario 9",status="success"} 1');
  });

  it('counts a record without a numeric value as dropped instead of failing the batch', async () => {
    const { processor, telemetry, sink } = build({ metrics: [{ name: 'bytes_total', type: 'sum', value: 'attributes["size"]' }] });
    await processor.consume(logsOf(1, [execution()]));
    expect(sink.records()).toHaveLength(1);
    expect(await telemetry.metrics()).toContain('gateway_log_metrics_dropped_total{processor="log_metrics",metric="bytes_total",reason="no_value"} 1');
  });

  it('refuses bad config with messages naming the key', () => {
    const issues = (raw: unknown) => {
      const r = logMetricsProcessorFactory.schema.safeParse(raw);
      return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    };
    expect(issues({})).toMatch(/metrics: define at least one metric/);
    expect(issues({ metrics: [{ name: 'x_total', type: 'sum' }] })).toMatch(/metrics.0.value: type sum needs value/);
    expect(issues({ metrics: [{ name: 'bad-name', type: 'counter' }] })).toMatch(/metrics.0.name/);
    expect(issues({ metrics: [{ name: 'x', type: 'counter', where: 'attributes["a" ==' }] })).toMatch(/metrics.0.where/);
    expect(issues({ metrics: [{ name: 'x', type: 'histogram', value: 'attributes["d"]', buckets: [5, 1] }] })).toMatch(/increasing/);
    expect(issues({ preset: 'make', metrics: [{ name: 'make_scenario_operations_total', type: 'counter' }] })).toMatch(/defined twice/);
  });
});
