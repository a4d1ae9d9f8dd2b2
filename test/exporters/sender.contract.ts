import { describe, expect, it } from 'vitest';
import type { ExportRequest, LogsSender, SendResult } from '../../src/exporters/helper/sender.js';
import type { Logs } from '../../src/pdata/model.js';
import type { ScriptedProxy } from '../fakes/scripted-proxy.js';

/**
 * One contract every vendor sender keeps, run against each sender and its strict fake (with a
 * scripted proxy between them, test/fakes/scripted-proxy.ts): 2xx delivers; 429 with Retry-After in
 * seconds or as an HTTP-date is retryable with that delay; 502/503/504 and network errors are retryable;
 * a hung backend gives up when the send's signal aborts; a request above the backend's limits is
 * split and arrives whole; and no credential the sender sent appears in a failure reason, even when
 * the backend echoes the request's headers back.
 */

export interface SenderUnderTest {
  sender: LogsSender;
  proxy: ScriptedProxy;
  /** Records the backend stored. */
  delivered(): number;
  /** Configured secrets (API keys, client secrets, secret access keys). */
  secrets: string[];
  close(): Promise<void>;
}

export interface SenderHarness {
  name: string;
  /** `count` records with ~`bodyBytes` bodies and timestamps the backend accepts. */
  logs(count: number, bodyBytes: number): Logs;
  request(logs: Logs): ExportRequest;
  /** A request the backend cannot take in one call (records, body bytes). */
  oversize: { records: number; bodyBytes: number };
  start(): Promise<SenderUnderTest>;
}

const never = () => new AbortController().signal;

async function withSender(h: SenderHarness, run: (s: SenderUnderTest) => Promise<void>): Promise<void> {
  const s = await h.start();
  try {
    await s.sender.start?.();
    await run(s);
  } finally {
    await s.sender.shutdown?.();
    await s.close();
  }
}

function expectNoSecret(result: SendResult, s: SenderUnderTest): void {
  if (result.kind === 'success') return;
  for (const secret of [...s.secrets, ...s.proxy.credentialValues()]) expect(result.reason, 'a credential in the reason').not.toContain(secret);
}

export function describeSenderContract(h: SenderHarness): void {
  describe(`sender contract: ${h.name}`, () => {
    const send = (s: SenderUnderTest, logs = h.logs(5, 100), signal = never()) => s.sender.send(h.request(logs), signal);

    it('delivers a request the backend answers with 2xx', () =>
      withSender(h, async (s) => {
        expect(await send(s)).toMatchObject({ kind: 'success' });
        expect(s.delivered()).toBe(5);
      }));

    it('is retryable with the Retry-After delay in seconds on 429', () =>
      withSender(h, async (s) => {
        s.proxy.next({ kind: 'answer', status: 429, headers: { 'retry-after': '7' } });
        const result = await send(s);
        expect(result).toMatchObject({ kind: 'retryable', retryAfterMs: 7_000 });
        expectNoSecret(result, s);
        expect(await send(s)).toMatchObject({ kind: 'success' });
        expect(s.delivered()).toBe(5);
      }));

    it('is retryable with the Retry-After delay given as an HTTP-date on 429', () =>
      withSender(h, async (s) => {
        s.proxy.next({ kind: 'answer', status: 429, headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() } });
        const result = await send(s);
        expect(result.kind).toBe('retryable');
        const delay = (result as { retryAfterMs?: number }).retryAfterMs ?? 0;
        expect(delay).toBeGreaterThan(25_000);
        expect(delay).toBeLessThanOrEqual(30_000);
      }));

    // 502/503/504 are retryable under every profile; 500 is not under OTLP's rules (New Relic speaks OTLP).
    it.each([502, 503, 504])('is retryable on HTTP %i', (status) =>
      withSender(h, async (s) => {
        s.proxy.next({ kind: 'answer', status });
        const result = await send(s);
        expect(result.kind).toBe('retryable');
        expectNoSecret(result, s);
      }));

    it('is retryable when the backend cannot be reached', () =>
      withSender(h, async (s) => {
        await s.proxy.down();
        const result = await send(s);
        expect(result.kind).toBe('retryable');
        expectNoSecret(result, s);
      }));

    it('gives up on a hung backend when the send is aborted, as retryable', () =>
      withSender(h, async (s) => {
        s.proxy.next({ kind: 'hang' });
        const controller = new AbortController();
        setTimeout(() => controller.abort(new DOMException('send timed out', 'TimeoutError')), 300).unref();
        const started = Date.now();
        const result = await send(s, h.logs(5, 100), controller.signal);
        expect(result.kind).toBe('retryable');
        expect(Date.now() - started).toBeLessThan(15_000);
      }));

    it('splits a request above the backend\'s limits and delivers all of it', () =>
      withSender(h, async (s) => {
        const { records, bodyBytes } = h.oversize;
        expect(await send(s, h.logs(records, bodyBytes))).toMatchObject({ kind: 'success' });
        expect(s.delivered()).toBe(records);
        expect(s.proxy.forwarded).toBeGreaterThan(1);
      }));

    it('keeps credentials out of the reason when the backend echoes the request headers', () =>
      withSender(h, async (s) => {
        s.proxy.next({ kind: 'echo-headers', status: 400 });
        const result = await send(s);
        expect(result.kind).toBe('permanent');
        expect(s.proxy.credentialValues().length + s.secrets.length).toBeGreaterThan(0);
        expectNoSecret(result, s);
      }));
  });
}
