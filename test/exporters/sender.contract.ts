import { describe, expect, it } from 'vitest';
import type { ExportRequest, LogsSender, SendResult } from '../../src/exporters/helper/sender.js';
import type { Logs } from '../../src/pdata/model.js';
import { startConnectProxy } from '../fakes/connect-proxy.js';
import { startScriptedProxy, type ScriptedProxy } from '../fakes/scripted-proxy.js';
import { testCa } from '../helpers/test-ca.js';

/**
 * One contract every vendor sender keeps, run against each sender and its strict fake (with a
 * scripted proxy between them, test/fakes/scripted-proxy.ts): 2xx delivers; 429 with Retry-After in
 * seconds or as an HTTP-date is retryable with that delay; 502/503/504 and network errors are retryable;
 * a hung backend gives up when the send's signal aborts; a request above the backend's limits is
 * split and arrives whole; and no credential the sender sent appears in a failure reason, even when
 * the backend echoes the request's headers back. Every sender goes through the one HTTP client
 * (src/exporters/helper/http-client.ts), so each also trusts a backend whose certificate a private
 * CA signed once given `tls.ca_file` (and refuses it, retryably, without), and reaches its backend
 * (and token endpoint) through an HTTP CONNECT proxy given `proxy_url`.
 *
 * Not here: `file` and `debug` make no network calls (nothing to retry, no TLS, no proxy); the
 * gRPC `otlp` exporter has its own transport and its own twin of these cases
 * (test/exporters/otlp/sender-contract-grpc.test.ts); so has `nats`, which speaks NATS to a real
 * nats-server (test/exporters/nats/sender-contract-nats.test.ts).
 */

/** The exporter's HTTP client keys a case sets (spread into the exporter's config). */
export interface ClientKeys {
  tls?: { ca_file: string };
  proxy_url?: string;
}

/** How a case wants the sender connected: the scripted proxy in front of the fake, and client keys. */
export interface Transport {
  proxy(upstream: string): Promise<ScriptedProxy>;
  client: ClientKeys;
}

const plain: Transport = { proxy: (upstream) => startScriptedProxy(upstream), client: {} };

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
  /**
   * A request the backend cannot take in one call (records, body bytes). Absent for a sender that
   * never splits (OTLP/HTTP sends a request as queued, as the Collector's otlphttp does).
   */
  oversize?: { records: number; bodyBytes: number };
  /** Start the fake, `transport.proxy` in front of it, and the sender configured with `transport.client`. */
  start(transport: Transport): Promise<SenderUnderTest>;
}

const never = () => new AbortController().signal;

async function withSender(h: SenderHarness, run: (s: SenderUnderTest) => Promise<void>, transport: Transport = plain): Promise<void> {
  const s = await h.start(transport);
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

    const oversize = h.oversize;
    if (oversize) {
      it('splits a request above the backend\'s limits and delivers all of it', () =>
        withSender(h, async (s) => {
          const { records, bodyBytes } = oversize;
          expect(await send(s, h.logs(records, bodyBytes))).toMatchObject({ kind: 'success' });
          expect(s.delivered()).toBe(records);
          expect(s.proxy.forwarded).toBeGreaterThan(1);
        }));
    }

    it('delivers over https to a backend whose certificate a private CA signed, given tls.ca_file', async () => {
      const ca = await testCa();
      const secure: Transport = { proxy: (upstream) => startScriptedProxy(upstream, { tls: ca.server }), client: { tls: { ca_file: ca.caFile } } };
      await withSender(
        h,
        async (s) => {
          expect(s.proxy.url).toMatch(/^https:/);
          expect(await send(s)).toMatchObject({ kind: 'success' });
          expect(s.delivered()).toBe(5);
        },
        secure,
      );
    });

    it('refuses that certificate without tls.ca_file, as retryable, and delivers nothing', async () => {
      const ca = await testCa();
      const untrusted: Transport = { proxy: (upstream) => startScriptedProxy(upstream, { tls: ca.server }), client: {} };
      await withSender(
        h,
        async (s) => {
          const result = await send(s);
          expect(result).toMatchObject({ kind: 'retryable', reason: expect.stringMatching(/certificate|network error/i) });
          expect(s.delivered()).toBe(0);
          expect(s.proxy.forwarded).toBe(0);
        },
        untrusted,
      );
    });

    it('reaches the backend through proxy_url (an HTTP CONNECT proxy)', async () => {
      const egress = await startConnectProxy();
      try {
        let backend = '';
        const viaProxy: Transport = {
          proxy: async (upstream) => {
            const p = await startScriptedProxy(upstream);
            backend = new URL(p.url).host;
            return p;
          },
          client: { proxy_url: egress.url },
        };
        await withSender(
          h,
          async (s) => {
            expect(await send(s)).toMatchObject({ kind: 'success' });
            expect(s.delivered()).toBe(5);
            expect(egress.tunnels).toContain(backend);
            expect(egress.refusals).toEqual([]);
          },
          viaProxy,
        );
      } finally {
        await egress.close();
      }
    });

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
