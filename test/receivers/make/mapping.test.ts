import { describe, expect, it } from 'vitest';
import { executionsToLogs, type MakeExecution } from '../../../src/receivers/make/mapping.js';
import { flatten } from './helpers.js';

// The execution of Make's SDK fixture (test/mocks/executions/list.json) plus centicredits.
const fixture: MakeExecution = {
  imtId: '1632371744497_scenario.1229.auto.da518adcd14b4b64ac6358823ccb80ca',
  duration: 19979,
  operations: 10,
  centicredits: 1000,
  transfer: 3942,
  organizationId: 21,
  teamId: 27,
  id: 'da518adcd14b4b64ac6358823ccb80ca',
  type: 'auto',
  authorId: null,
  instant: false,
  timestamp: '2021-09-23T04:35:44.497Z',
  status: 1,
};
const ctx = { serviceName: 'make', zone: 'eu1.make.com' };
const scenario = { id: 1229, name: 'Order sync', teamId: 27, organizationId: 21 };
const OBSERVED_MS = 1_700_000_000_123;

function mapOne(e: MakeExecution) {
  const [flat] = flatten(executionsToLogs(ctx, scenario, [e], OBSERVED_MS));
  return flat;
}

describe('make execution mapping (docs/make-receiver.md)', () => {
  it('puts the scenario on the resource, with Make ids as integers', () => {
    const logs = executionsToLogs(ctx, scenario, [fixture], OBSERVED_MS);
    const attrs = logs.resourceLogs[0].resource!.attributes;
    expect(attrs).toEqual([
      { key: 'service.name', value: { stringValue: 'make' } },
      { key: 'make.organization.id', value: { intValue: 21n } },
      { key: 'make.team.id', value: { intValue: 27n } },
      { key: 'make.scenario.id', value: { intValue: 1229n } },
      { key: 'make.scenario.name', value: { stringValue: 'Order sync' } },
      { key: 'make.zone', value: { stringValue: 'eu1.make.com' } },
    ]);
  });

  it('takes the organization and team from the executions when the scenario listing does not say them', () => {
    const logs = executionsToLogs(ctx, { id: 1229, name: 'Order sync' }, [fixture], OBSERVED_MS);
    const attrs = Object.fromEntries(logs.resourceLogs[0].resource!.attributes.map((a) => [a.key, a.value?.intValue]));
    expect(attrs['make.organization.id']).toBe(21n);
    expect(attrs['make.team.id']).toBe(27n);
  });

  it('maps one execution to one record with its times, event name, severity, body and attributes', () => {
    const { record, attributes } = mapOne(fixture);
    expect(record.timeUnixNano).toBe(1632371744497n * 1_000_000n);
    expect(record.observedTimeUnixNano).toBe(BigInt(OBSERVED_MS) * 1_000_000n);
    expect(record.eventName).toBe('make.scenario.execution');
    expect(record.severityNumber).toBe(9);
    expect(record.severityText).toBe('INFO');
    expect(record.body).toEqual({ stringValue: 'Scenario "Order sync" execution da518adcd14b4b64ac6358823ccb80ca: success, 19979 ms, 10 operations' });
    expect(attributes).toEqual({
      'make.execution.id': 'da518adcd14b4b64ac6358823ccb80ca',
      'make.execution.imt_id': '1632371744497_scenario.1229.auto.da518adcd14b4b64ac6358823ccb80ca',
      'make.execution.status': 'success',
      'make.execution.type': 'auto',
      'make.execution.duration_ms': 19979n,
      'make.execution.operations': 10n,
      'make.execution.transfer_bytes': 3942n,
      'make.execution.centicredits': 1000n,
      'make.execution.instant': false,
    });
  });

  it('keeps integer attributes as int64 values, not doubles or strings', () => {
    const { record } = mapOne(fixture);
    const duration = record.attributes.find((a) => a.key === 'make.execution.duration_ms')!.value!;
    expect(duration).toEqual({ intValue: 19979n });
  });

  it('adds the author id only when Make gives one', () => {
    const { attributes } = mapOne({ ...fixture, type: 'manual', authorId: 5, instant: true });
    expect(attributes['make.execution.author_id']).toBe(5n);
    expect(attributes['make.execution.type']).toBe('manual');
    expect(attributes['make.execution.instant']).toBe(true);
    expect('make.execution.author_id' in mapOne(fixture).attributes).toBe(false);
  });

  it.each([
    [0, 9, 'INFO', 'pending'],
    [1, 9, 'INFO', 'success'],
    [2, 13, 'WARN', 'warning'],
    [3, 17, 'ERROR', 'error'],
  ])('maps status %i to severity %i %s and status name %s', (status, number, text, name) => {
    const { record, attributes } = mapOne({ ...fixture, status });
    expect(record.severityNumber).toBe(number);
    expect(record.severityText).toBe(text);
    expect(attributes['make.execution.status']).toBe(name);
    expect((record.body as { stringValue: string }).stringValue).toContain(`: ${name},`);
  });

  it('falls back to the imtId start time when timestamp is unreadable', () => {
    const { record } = mapOne({ ...fixture, timestamp: 'not a date' });
    expect(record.timeUnixNano).toBe(1632371744497n * 1_000_000n);
  });
});
