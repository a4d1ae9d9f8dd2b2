import { describe, expect, it } from 'vitest';
import type { Logs } from '../../src/pdata/model.js';
import type { LogsConsumer } from '../../src/pipeline/component.js';
import { defaultRegistry } from '../../src/registry.js';
import { logsOf, settings } from '../ottl/harness.js';

/**
 * A client that goes away must reach the exporter's wait whatever processors stand between: every
 * record-reading processor hands the receiver's signal on with the records.
 */
const configs: Record<string, unknown> = {
  attributes: { actions: [{ key: 'a', value: 'b', action: 'insert' }] },
  resource: { attributes: [{ key: 'a', value: 'b', action: 'upsert' }] },
  filter: { logs: { log_record: ['attributes["drop"] == true'] } },
  transform: { log_statements: [{ context: 'log', statements: ['set(attributes["x"], 1)'] }] },
  redaction: { allow_all_keys: true },
  memory_limiter: { check_interval: '1s', limit_mib: 100000, spike_limit_mib: 1000 },
  log_metrics: { metrics: [{ name: 'sig_test_records_total', description: 'records', type: 'counter' }] },
};

describe('processors pass the cancellation signal on', () => {
  it.each(Object.keys(configs))('%s', async (type) => {
    const factory = defaultRegistry.get('processor', type) as { schema: { parse(c: unknown): unknown }; create(s: unknown, c: unknown, n: LogsConsumer): LogsConsumer & { start?(h: unknown): Promise<void>; shutdown?(): Promise<void> } };
    const seen: (AbortSignal | undefined)[] = [];
    const next: LogsConsumer = { consume: async (_logs: Logs, signal?: AbortSignal) => void seen.push(signal) };
    const p = factory.create(settings(type), factory.schema.parse(configs[type]), next);
    await p.start?.({ getExtension: () => undefined });
    const controller = new AbortController();
    await p.consume(logsOf([{ attributes: { k: 'v' } }]), controller.signal);
    await p.shutdown?.();
    expect(seen).toEqual([controller.signal]);
  });
});
