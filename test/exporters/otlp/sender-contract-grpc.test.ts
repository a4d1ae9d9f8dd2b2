import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { otlpConfigSchema } from '../../../src/exporters/otlp/config.js';
import { OtlpGrpcLogsSender } from '../../../src/exporters/otlp/sender.js';
import type { SendResult } from '../../../src/exporters/helper/sender.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { OtlpGrpcBackend } from '../../fakes/otlp-grpc-backend.js';
import { testCa } from '../../helpers/test-ca.js';
import { logsWith, neverAborts, queuedRequest } from './test-kit.js';

/**
 * The sender contract (test/exporters/sender.contract.ts) in gRPC terms, for the `otlp` exporter,
 * against the strict OTLP/gRPC fake: OK delivers; RESOURCE_EXHAUSTED with RetryInfo is retryable
 * after that delay (gRPC has no Retry-After: RetryInfo is its form) and without RetryInfo is final,
 * as the OTLP spec says; UNAVAILABLE, DEADLINE_EXCEEDED and ABORTED are retryable, as is an
 * unreachable backend; a hung call gives up when the send aborts; a backend echoing the metadata
 * never puts a credential in the reason; and `tls.ca_file` trusts a backend whose certificate a
 * private CA signed. Not here: oversize splitting (OTLP sends a request as queued) and `proxy_url`
 * (gRPC has its own transport, without an HTTP proxy in the Collector's otlp config either).
 */

const TOKEN = 'grpc-contract-t0ken-0123456789';

async function withSender(run: (s: OtlpGrpcLogsSender, backend: OtlpGrpcBackend) => Promise<void>, secure?: { tls: boolean; caFile?: string; more?: Record<string, unknown> }): Promise<void> {
  const ca = secure ? await testCa() : undefined;
  const backend = await OtlpGrpcBackend.start({ requiredMetadata: { authorization: `Bearer ${TOKEN}` }, tls: ca?.server });
  const tls = secure ? { ...(secure.caFile ? { ca_file: secure.caFile } : {}), ...secure.more } : { insecure: true };
  const config = otlpConfigSchema.parse({ endpoint: backend.endpoint, tls, headers: { Authorization: `Bearer ${TOKEN}` } });
  const sender = new OtlpGrpcLogsSender({ config, logger: silentLogger });
  try {
    await sender.start();
    await run(sender, backend);
  } finally {
    await sender.shutdown();
    await backend.close();
  }
}

const send = (s: OtlpGrpcLogsSender, signal = neverAborts()) => s.send(queuedRequest(logsWith('a', 'b', 'c')), signal);
const expectNoSecret = (result: SendResult) => {
  if (result.kind !== 'success') expect(result.reason).not.toContain(TOKEN);
};

describe('sender contract (gRPC): otlp', () => {
  it('delivers a request the backend answers OK', () =>
    withSender(async (s, backend) => {
      expect(await send(s)).toMatchObject({ kind: 'success' });
      expect(backend.recordCount()).toBe(3);
    }));

  it('is retryable with the RetryInfo delay on RESOURCE_EXHAUSTED, then delivers', () =>
    withSender(async (s, backend) => {
      backend.failNext(1, { code: grpc.status.RESOURCE_EXHAUSTED, retryAfterMs: 7_000 });
      expect(await send(s)).toMatchObject({ kind: 'retryable', retryAfterMs: 7_000 });
      expect(await send(s)).toMatchObject({ kind: 'success' });
      expect(backend.recordCount()).toBe(3);
    }));

  it('is final on RESOURCE_EXHAUSTED without RetryInfo', () =>
    withSender(async (s, backend) => {
      backend.failNext(1, grpc.status.RESOURCE_EXHAUSTED);
      expect((await send(s)).kind).toBe('permanent');
    }));

  it.each([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.ABORTED])('is retryable on gRPC status %i', (code) =>
    withSender(async (s, backend) => {
      backend.failNext(1, code);
      const result = await send(s);
      expect(result.kind).toBe('retryable');
      expectNoSecret(result);
    }));

  it('is retryable when the backend cannot be reached', () =>
    withSender(async (s, backend) => {
      await backend.goDown();
      const result = await send(s);
      expect(result.kind).toBe('retryable');
      expectNoSecret(result);
    }));

  it('gives up on a hung backend when the send is aborted, as retryable', () =>
    withSender(async (s, backend) => {
      backend.hangNext(1);
      const controller = new AbortController();
      setTimeout(() => controller.abort(new DOMException('send timed out', 'TimeoutError')), 300).unref();
      const started = Date.now();
      expect((await send(s, controller.signal)).kind).toBe('retryable');
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(backend.recordCount()).toBe(0);
    }));

  it('keeps credentials out of the reason when the backend echoes the metadata', () =>
    withSender(async (s, backend) => {
      backend.failNext(1, { code: grpc.status.INVALID_ARGUMENT, echoMetadata: true });
      const result = await send(s);
      expect(result.kind).toBe('permanent');
      expect(backend.refusals.at(-1)?.message).toContain(TOKEN);
      expectNoSecret(result);
    }));

  it('delivers over TLS to a backend whose certificate a private CA signed, given tls.ca_file', async () => {
    const ca = await testCa();
    await withSender(
      async (s, backend) => {
        expect(await send(s)).toMatchObject({ kind: 'success' });
        expect(backend.recordCount()).toBe(3);
      },
      { tls: true, caFile: ca.caFile },
    );
  });

  it('verifies against tls.server_name_override and holds to tls.min_version', async () => {
    const ca = await testCa();
    const timeout = () => AbortSignal.timeout(3_000);
    await withSender(async (s, backend) => {
      expect(await send(s)).toMatchObject({ kind: 'success' });
      expect(backend.recordCount()).toBe(3);
    }, { tls: true, caFile: ca.caFile, more: { server_name_override: 'localhost', min_version: '1.2', include_system_ca_certs_pool: true } });
    // The test certificate names 127.0.0.1 and localhost only.
    await withSender(async (s, backend) => {
      expect((await send(s, timeout())).kind).toBe('retryable');
      expect(backend.recordCount()).toBe(0);
    }, { tls: true, caFile: ca.caFile, more: { server_name_override: 'other.example' } });
  });

  it('refuses that certificate without tls.ca_file, as retryable, and delivers nothing', () =>
    withSender(
      async (s, backend) => {
        const abort = new AbortController();
        // grpc-js keeps reconnecting on a TLS failure until the deadline; the send's timeout ends it.
        setTimeout(() => abort.abort(new DOMException('send timed out', 'TimeoutError')), 3_000).unref();
        expect((await send(s, abort.signal)).kind).toBe('retryable');
        expect(backend.recordCount()).toBe(0);
      },
      { tls: true },
    ));
});
