import { describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/errors.js';
import { ReceiverObsreport } from '../../../src/receivers/helper/obsreport.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { counterValue } from '../otlp/harness.js';

describe('receiver obsreport helper', () => {
  it('counts records accepted when the hand-off resolves and refused when it rejects, rethrowing the error', async () => {
    const t = new Telemetry({ processMetrics: false });
    const obs = new ReceiverObsreport(t, 'otlp/edge', 'http');
    await obs.track(5, async () => undefined);
    const failure = new RetryableError('queue full', 2_000, 'QUEUE_FULL');
    await expect(obs.track(3, async () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await counterValue(t.receiverAccepted, { receiver: 'otlp/edge', transport: 'http' })).toBe(5);
    expect(await counterValue(t.receiverRefused, { receiver: 'otlp/edge', transport: 'http' })).toBe(3);
  });

  it('counts refused requests by status and partially rejected records', async () => {
    const t = new Telemetry({ processMetrics: false });
    const obs = new ReceiverObsreport(t, 'make', 'poll');
    obs.requestRefused(429);
    obs.requestRefused('RESOURCE_EXHAUSTED');
    obs.refused(2);
    obs.refused(0);
    expect(await counterValue(t.receiverRequestsRefused, { receiver: 'make', transport: 'poll', status: '429' })).toBe(1);
    expect(await counterValue(t.receiverRequestsRefused, { receiver: 'make', transport: 'poll', status: 'RESOURCE_EXHAUSTED' })).toBe(1);
    expect(await counterValue(t.receiverRefused, { receiver: 'make', transport: 'poll' })).toBe(2);
  });

  it('maps failures the same way for every receiver: throttled 429, retryable 503, permanent 400, unexpected 503 without internals', () => {
    const obs = new ReceiverObsreport(new Telemetry({ processMetrics: false }), 'r', 'http');
    expect(obs.refusal(new RetryableError('memory', 1_000, 'MEMORY_LIMIT'))).toMatchObject({ httpStatus: 429, retryAfterMs: 1_000 });
    expect(obs.refusal(new RetryableError('down'))).toMatchObject({ httpStatus: 503 });
    expect(obs.refusal(new PermanentError('bad'))).toMatchObject({ httpStatus: 400 });
    const unexpected = obs.refusal(new Error('ENOENT /var/lib/internal'));
    expect(unexpected.httpStatus).toBe(503);
    expect(unexpected.message).not.toContain('/var/lib/internal');
  });
});
