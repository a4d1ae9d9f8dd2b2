import { describe, expect, it } from 'vitest';
import { MemoryStorageClient } from '../../../src/extensions/storage.js';
import type { Logs } from '../../../src/pdata/model.js';
import { makeAnomalyProcessorFactory } from '../../../src/processors/make_anomaly/factory.js';
import { MakeAnomalyProcessor } from '../../../src/processors/make_anomaly/processor.js';
import { executionsToLogs, type MakeExecution } from '../../../src/receivers/make/mapping.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { Sink, captureLogger, flatten, storageHost } from '../../receivers/make/helpers.js';

const H = 3_600_000;
const START = Date.parse('2026-02-02T00:00:00Z');
let seq = 0;

/** Four runs an hour of one scenario, `hours` long from `fromMs`, with the given status/duration. */
function hoursOfRuns(fromMs: number, hours: number, fields: (i: number) => Partial<MakeExecution> = () => ({})): MakeExecution[] {
  const out: MakeExecution[] = [];
  for (let i = 0; i < hours * 4; i++) {
    const t = fromMs + i * 15 * 60_000;
    const id = (++seq).toString(16).padStart(32, '0');
    out.push({ id, imtId: `${t}_scenario.7.auto.${id}`, status: 1, duration: 2000 + ((i * 37) % 200), operations: 5, timestamp: new Date(t).toISOString(), ...fields(i) });
  }
  return out;
}
const logsOf = (executions: MakeExecution[]): Logs => executionsToLogs({ serviceName: 'make' }, { id: 7, name: 'Order sync', teamId: 27, organizationId: 21 }, executions, Date.now());

function build(storage = new MemoryStorageClient(), now = () => Date.now()) {
  const telemetry = new Telemetry({ processMetrics: false });
  const sink = new Sink();
  const config = makeAnomalyProcessorFactory.schema.parse({ storage: 'file_storage', check_interval: '1h' });
  const processor = new MakeAnomalyProcessor({ id: 'make_anomaly', telemetry, logger: captureLogger() }, config, sink, now);
  return { processor, sink, telemetry, host: storageHost(storage), storage };
}

const anomalies = (sink: Sink) => sink.accepted.flatMap(flatten).filter((r) => r.record.eventName === 'make.anomaly');

describe('make_anomaly processor', () => {
  it('passes executions through and adds a make.anomaly record and a count on an error-rate spike', async () => {
    const { processor, sink, telemetry, host } = build();
    await processor.start(host);
    const normal = hoursOfRuns(START, 5 * 24);
    for (let d = 0; d < 5; d++) await processor.consume(logsOf(normal.slice(d * 96, (d + 1) * 96)));
    expect(anomalies(sink)).toEqual([]);
    const spike = hoursOfRuns(START + 5 * 24 * H, 2, (i) => ({ status: i % 4 === 0 ? 1 : 3 }));
    await processor.consume(logsOf(spike));
    await processor.consume(logsOf(hoursOfRuns(START + (5 * 24 + 2) * H, 1)));
    const [a, ...rest] = anomalies(sink);
    expect(rest).toEqual([]);
    expect(a.record.severityText).toBe('ERROR');
    expect(a.attributes).toMatchObject({ 'make.anomaly.kind': 'error_rate_spike', 'make.anomaly.metric': 'error_rate', 'make.anomaly.runs': 4n });
    expect(a.attributes['make.anomaly.observed']).toBeCloseTo(0.75, 5);
    expect(a.attributes['make.anomaly.baseline'] as number).toBeLessThan(0.01);
    expect(a.resource).toMatchObject({ 'make.scenario.id': 7n, 'make.scenario.name': 'Order sync' });
    expect(a.record.body?.stringValue).toMatch(/Scenario "Order sync" \(7\): error rate spike: error_rate 75\.0%/);
    expect(sink.accepted.flatMap(flatten).filter((r) => r.record.eventName === 'make.scenario.execution')).toHaveLength(normal.length + spike.length + 4);
    expect(await telemetry.metrics()).toContain('gateway_make_anomalies_total{processor="make_anomaly",scenario_id="7",kind="error_rate_spike"} 1');
    await processor.shutdown();
  });

  it('flags a scenario that stopped running on its usual schedule from the clock check, and keeps baselines across a restart', async () => {
    const storage = new MemoryStorageClient();
    let now = START;
    const first = build(storage, () => now);
    await first.processor.start(first.host);
    await first.processor.consume(logsOf(hoursOfRuns(START, 8 * 24)));
    now = START + 8 * 24 * H;
    await first.processor.check();
    await first.processor.shutdown();

    const second = build(storage, () => now);
    await second.processor.start(second.host);
    now += 3 * H + 10 * 60_000;
    await second.processor.check();
    const [a] = anomalies(second.sink);
    expect(a?.attributes).toMatchObject({ 'make.anomaly.kind': 'stopped', 'make.anomaly.metric': 'runs' });
    expect(a.record.severityText).toBe('ERROR');
    expect(a.resource['make.scenario.name']).toBe('Order sync');
    now += 2 * H;
    await second.processor.check();
    expect(anomalies(second.sink)).toHaveLength(1); // once, not every check
    await second.processor.shutdown();
  });

  it('does not count a batch twice when it is sent again after a refusal', async () => {
    const { processor, sink, host } = build();
    await processor.start(host);
    for (let d = 0; d < 5; d++) await processor.consume(logsOf(hoursOfRuns(START + d * 24 * H, 24)));
    const spike = logsOf(hoursOfRuns(START + 5 * 24 * H, 1, (i) => ({ status: i === 0 ? 1 : 3 })));
    sink.refuseNext(new Error('queue full'));
    await expect(processor.consume(structuredClone(spike))).rejects.toThrow('queue full');
    await processor.consume(structuredClone(spike));
    await processor.consume(logsOf(hoursOfRuns(START + (5 * 24 + 1) * H, 1)));
    expect(anomalies(sink)).toHaveLength(1);
    await processor.shutdown();
  });

  it('writes the baselines again at the next check when a storage write failed', async () => {
    const storage = new MemoryStorageClient();
    let failNext = true;
    const flaky = Object.assign(Object.create(storage) as MemoryStorageClient, {
      set: async (k: string, v: string) => {
        if (failNext) {
          failNext = false;
          throw new Error('disk full');
        }
        await storage.set(k, v);
      },
    });
    const { processor, sink, telemetry } = build(storage);
    await processor.start(storageHost(flaky));
    await processor.consume(logsOf(hoursOfRuns(START, 2)));
    await processor.check();
    expect(await storage.get('scenario/7')).toBeUndefined();
    await processor.check();
    const stored = JSON.parse((await storage.get('scenario/7'))!) as { state: { v: number; history: { n: number }[] }; resource: { key: string }[] };
    expect(stored.state.v).toBe(1);
    expect(stored.state.history.map((x) => x.n)).toEqual([4, 4]); // both hours, closed by the clock
    expect(stored.resource.map((kv) => kv.key)).toContain('make.scenario.name');
    expect(await storage.get('scenarios')).toBe('["7"]');
    expect(sink.records()).toHaveLength(8);
    expect(await telemetry.metrics()).not.toContain('gateway_make_anomalies_total{');
    await processor.shutdown();
  });
});
