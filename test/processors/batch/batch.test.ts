import { afterEach, describe, expect, it, vi } from 'vitest';
import { RetryableError } from '../../../src/errors.js';
import { batchProcessorFactory } from '../../../src/processors/batch/factory.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { bodies, ControlledConsumer, isSettled, makeLogs } from './fixtures.js';

function setup(raw: Record<string, unknown> = {}) {
  const telemetry = new Telemetry({ processMetrics: false });
  const downstream = new ControlledConsumer();
  const config = batchProcessorFactory.schema.parse(raw);
  const batch = batchProcessorFactory.create({ id: 'batch', telemetry, logger: silentLogger }, config, downstream);
  return { telemetry, downstream, batch };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('batch processor', () => {
  it('uses the Collector defaults', () => {
    expect(batchProcessorFactory.schema.parse({})).toMatchObject({ send_batch_size: 8192, send_batch_max_size: 0, timeout: 200 });
  });

  it('refuses unknown keys and a max size below the batch size', () => {
    expect(batchProcessorFactory.schema.safeParse({ send_batch_sise: 1 }).success).toBe(false);
    const r = batchProcessorFactory.schema.safeParse({ send_batch_size: 100, send_batch_max_size: 10 });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('send_batch_max_size');
  });

  it('accepts metadata_keys and metadata_cardinality_limit from Collector configs', () => {
    expect(batchProcessorFactory.schema.parse({ metadata_keys: ['tenant'], metadata_cardinality_limit: 10 }).metadata_keys).toEqual(['tenant']);
  });

  it('batches apart the requests of clients that sent different metadata_keys values, and each batch carries only those values', async () => {
    const { downstream, batch } = setup({ send_batch_size: 2, timeout: '1h', metadata_keys: ['X-Tenant'] });
    const from = (tenant: string | undefined, label: string) => {
      const logs = makeLogs(1, label);
      if (tenant) logs.client = { address: '10.0.0.1', metadata: new Map([['x-tenant', [tenant]], ['authorization', ['Bearer secret']]]) };
      return logs;
    };
    const sent = [batch.consume(from('acme', 'a1')), batch.consume(from('globex', 'g1')), batch.consume(from(undefined, 'n1')), batch.consume(from('acme', 'a2'))];
    await downstream.waitForCalls(1);
    expect(downstream.calls).toHaveLength(1);
    expect(bodies(downstream.calls[0].logs)).toEqual(['a1-0', 'a2-0']);
    expect(downstream.calls[0].logs.client).toEqual({ metadata: new Map([['x-tenant', ['acme']]]) });
    const stopping = batch.shutdown();
    await downstream.waitForCalls(3);
    const byBody = new Map(downstream.calls.map((c) => [bodies(c.logs).join(','), c.logs.client]));
    expect(byBody.get('g1-0')).toEqual({ metadata: new Map([['x-tenant', ['globex']]]) });
    expect(byBody.has('n1-0')).toBe(true);
    expect(byBody.get('n1-0')).toBeUndefined();
    for (const c of downstream.calls) c.resolve();
    await expect(Promise.all(sent)).resolves.toBeDefined();
    await stopping;
  });

  it('without metadata_keys a merged batch carries no client (as the Collector), and metadata_cardinality_limit refuses one combination too many as retryable', async () => {
    const plain = setup({ send_batch_size: 2, timeout: '1h' });
    const logs = makeLogs(2);
    logs.client = { metadata: new Map([['x-tenant', ['acme']]]) };
    const p = plain.batch.consume(logs);
    await plain.downstream.waitForCalls(1);
    expect(plain.downstream.calls[0].logs.client).toBeUndefined();
    plain.downstream.calls[0].resolve();
    await p;

    const { downstream, batch } = setup({ send_batch_size: 2, timeout: '1h', metadata_keys: ['x-tenant'], metadata_cardinality_limit: 2 });
    const from = (tenant: string) => Object.assign(makeLogs(1, tenant), { client: { metadata: new Map([['x-tenant', [tenant]]]) } });
    const waiting = [batch.consume(from('a')), batch.consume(from('b'))];
    await expect(batch.consume(from('c'))).rejects.toThrow(RetryableError);
    await expect(batch.consume(from('c'))).rejects.toThrow(/metadata_cardinality_limit/);
    // a's batch fills and goes out: a new combination has room again.
    waiting.push(batch.consume(from('a')));
    await downstream.waitForCalls(1);
    waiting.push(batch.consume(from('c')));
    const stopping = batch.shutdown();
    await downstream.waitForCalls(3);
    expect(downstream.calls.map((c) => bodies(c.logs))).toEqual([['a-0', 'a-0'], ['b-0'], ['c-0']]);
    for (const c of downstream.calls) c.resolve();
    await expect(Promise.all(waiting)).resolves.toBeDefined();
    await stopping;
  });

  it('does not resolve a caller before downstream consumed its batch', async () => {
    const { downstream, batch } = setup({ send_batch_size: 2, timeout: '1h' });
    const p = batch.consume(makeLogs(2));
    await downstream.waitForCalls(1);
    expect(await isSettled(p)).toBe(false);
    downstream.calls[0].resolve();
    await expect(p).resolves.toBeUndefined();
  });

  it('merges requests into one batch and sends it when send_batch_size is reached', async () => {
    const { downstream, batch } = setup({ send_batch_size: 5, timeout: '1h' });
    const a = batch.consume(makeLogs(2, 'a'));
    const b = batch.consume(makeLogs(3, 'b'));
    await downstream.waitForCalls(1);
    expect(downstream.calls).toHaveLength(1);
    expect(bodies(downstream.calls[0].logs)).toEqual(['a-0', 'a-1', 'b-0', 'b-1', 'b-2']);
    downstream.calls[0].resolve();
    await expect(Promise.all([a, b])).resolves.toBeDefined();
  });

  it('sends a partial batch when the timeout passes', async () => {
    vi.useFakeTimers();
    const { downstream, batch } = setup({ send_batch_size: 100, timeout: '200ms' });
    const p = batch.consume(makeLogs(3));
    expect(downstream.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(downstream.calls).toHaveLength(1);
    expect(downstream.calls[0].count).toBe(3);
    downstream.calls[0].resolve();
    await expect(p).resolves.toBeUndefined();
  });

  it('rejects every caller of a batch that downstream refused, with its error', async () => {
    const { downstream, batch } = setup({ send_batch_size: 4, timeout: '1h' });
    const a = batch.consume(makeLogs(2, 'a'));
    const b = batch.consume(makeLogs(2, 'b'));
    await downstream.waitForCalls(1);
    const refusal = new RetryableError('queue full', 1000, 'QUEUE_FULL');
    downstream.calls[0].reject(refusal);
    await expect(a).rejects.toBe(refusal);
    await expect(b).rejects.toBe(refusal);
  });

  it('splits a request larger than send_batch_max_size and resolves only when every part is consumed', async () => {
    const { downstream, batch } = setup({ send_batch_size: 3, send_batch_max_size: 3, timeout: '1h' });
    const p = batch.consume(makeLogs(7));
    await downstream.waitForCalls(2);
    expect(downstream.calls.map((c) => c.count)).toEqual([3, 3]);
    downstream.calls[0].resolve();
    downstream.calls[1].resolve();
    expect(await isSettled(p)).toBe(false); // one record still waits in the open batch
    const stopping = batch.shutdown();
    await downstream.waitForCalls(3);
    expect(downstream.calls[2].count).toBe(1);
    expect(await isSettled(p)).toBe(false);
    downstream.calls[2].resolve();
    await expect(p).resolves.toBeUndefined();
    await stopping;
    expect(downstream.calls.flatMap((c) => bodies(c.logs))).toEqual(bodies(makeLogs(7)));
  });

  it('rejects a split request when any of its parts fails, even if others succeeded', async () => {
    const { downstream, batch } = setup({ send_batch_size: 2, send_batch_max_size: 2, timeout: '1h' });
    const p = batch.consume(makeLogs(4));
    await downstream.waitForCalls(2);
    downstream.calls[0].resolve();
    downstream.calls[1].reject(new Error('backend down'));
    await expect(p).rejects.toThrow('backend down');
  });

  it('never puts more than send_batch_max_size records into one batch when requests are merged', async () => {
    const { downstream, batch } = setup({ send_batch_size: 4, send_batch_max_size: 4, timeout: '1h' });
    void batch.consume(makeLogs(3, 'a'));
    void batch.consume(makeLogs(3, 'b'));
    await downstream.waitForCalls(1);
    expect(downstream.calls[0].count).toBe(4);
    expect(bodies(downstream.calls[0].logs)).toEqual(['a-0', 'a-1', 'a-2', 'b-0']);
  });

  it('flushes pending records on shutdown and waits until downstream consumed them', async () => {
    const { downstream, batch } = setup({ send_batch_size: 100, timeout: '1h' });
    const p = batch.consume(makeLogs(2));
    const stopping = batch.shutdown();
    await downstream.waitForCalls(1);
    expect(await isSettled(stopping)).toBe(false);
    downstream.calls[0].resolve();
    await stopping;
    await expect(p).resolves.toBeUndefined();
  });

  it('does not change the caller’s Logs when splitting', async () => {
    const { downstream, batch } = setup({ send_batch_size: 2, send_batch_max_size: 2, timeout: 0 });
    const logs = makeLogs(3);
    const before = bodies(logs);
    void batch.consume(logs);
    await downstream.waitForCalls(2);
    expect(bodies(logs)).toEqual(before);
  });

  it('counts records in otelcol_processor_incoming_items and outgoing_items', async () => {
    const { telemetry, downstream, batch } = setup({ send_batch_size: 2, timeout: '1h' });
    const p = batch.consume(makeLogs(2));
    await downstream.waitForCalls(1);
    downstream.calls[0].resolve();
    await p;
    const text = await telemetry.metrics();
    expect(text).toContain('otelcol_processor_incoming_items_total{processor="batch"} 2');
    expect(text).toContain('otelcol_processor_outgoing_items_total{processor="batch"} 2');
  });
});
