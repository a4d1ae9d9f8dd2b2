import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsExporterSchema } from '../../../src/exporters/nats/config.js';
import { NatsLogsSender } from '../../../src/exporters/nats/sender.js';
import type { ExportRequest, SendResult } from '../../../src/exporters/helper/sender.js';
import { countLogRecords, type Logs } from '../../../src/pdata/model.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { natsServerMissing, startNatsServer, type NatsServer } from '../../helpers/nats-server.js';
import { numberedLogs } from '../datadog/build-logs.js';
import { captureLogger } from '../datadog/capture-logger.js';

/**
 * The nats exporter's twin of the sender contract (test/exporters/sender.contract.ts), whose HTTP
 * cases (status codes, Retry-After, a CONNECT proxy) have no NATS equivalent. What carries over,
 * against a real nats-server with JetStream: an acked publish is success; an unreachable server
 * and an aborted send are retryable, with no credential in the reason, and the same request is
 * delivered once the server is back; `tls` with a test CA is trusted, and without `ca_file` that
 * server is refused. Splitting above `max_payload` is in exporter.test.ts, mutual TLS and every
 * authentication method in auth.test.ts.
 */

const TOKEN = 'nats-contract-token-0123456789abcdef';
const fixtures = join(import.meta.dirname, '../../receivers/otlp/fixtures');
const f = (name: string) => join(fixtures, name);

function requestOf(logs: Logs): ExportRequest {
  const bytes = encodeLogs(logs);
  return { records: countLogRecords(logs), bytes: () => bytes, logs: () => logs };
}

const never = () => new AbortController().signal;

function expectNoSecret(result: SendResult): void {
  if (result.kind !== 'success') expect(result.reason).not.toContain(TOKEN);
}

describe.skipIf(natsServerMissing !== undefined)('sender contract (NATS): nats', () => {
  let server: NatsServer;
  let sender: NatsLogsSender;
  beforeAll(async () => {
    server = await startNatsServer({ args: ['--auth', TOKEN] });
    const config = natsExporterSchema.parse({ url: server.url, token: TOKEN, stream: 'CONTRACT', subject: 'contract.logs', timeout: '1s' });
    sender = new NatsLogsSender(config, 'nats', captureLogger());
    await sender.start();
  });
  afterAll(async () => {
    await sender?.shutdown();
    await server?.stop();
  });

  it('delivers a request JetStream acknowledges', async () => {
    expect(await sender.send(requestOf(numberedLogs(3, 10)), never())).toEqual({ kind: 'success' });
  });

  it('is retryable when the send is aborted, with no credential in the reason', async () => {
    const aborted = new AbortController();
    aborted.abort(new Error('export timed out'));
    const result = await sender.send(requestOf(numberedLogs(1, 10)), aborted.signal);
    expect(result.kind).toBe('retryable');
    expectNoSecret(result);
  });

  it('is retryable while the server cannot be reached, and delivers the same request once it is back', async () => {
    const request = requestOf(numberedLogs(2, 10));
    await server.kill();
    const result = await sender.send(request, AbortSignal.timeout(3_000));
    expect(result.kind).toBe('retryable');
    expectNoSecret(result);
    await server.restart();
    let again: SendResult = result;
    for (let i = 0; i < 100 && again.kind !== 'success'; i++) {
      again = await sender.send(request, AbortSignal.timeout(2_000));
      if (again.kind !== 'success') await new Promise((r) => setTimeout(r, 100));
    }
    expect(again).toEqual({ kind: 'success' });
  });
});

describe.skipIf(natsServerMissing !== undefined)('sender contract (NATS): nats over tls', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer({ args: ['--tls', '--tlscert', f('server.pem'), '--tlskey', f('server.key')] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('delivers to a server whose certificate a private CA signed, given tls.ca_file', async () => {
    const config = natsExporterSchema.parse({ url: `tls://127.0.0.1:${server.port}`, stream: 'TLSCA', subject: 'tlsca.logs', tls: { ca_file: f('ca.pem') } });
    const sender = new NatsLogsSender(config, 'nats', captureLogger());
    try {
      await sender.start();
      expect(await sender.send(requestOf(numberedLogs(2, 10)), never())).toEqual({ kind: 'success' });
    } finally {
      await sender.shutdown();
    }
  });

  it('refuses that server without tls.ca_file: the start fails and names the certificate problem', async () => {
    const config = natsExporterSchema.parse({ url: `tls://127.0.0.1:${server.port}`, stream: 'TLSCA', subject: 'tlsca.logs' });
    const sender = new NatsLogsSender(config, 'nats', captureLogger());
    try {
      await expect(sender.start()).rejects.toThrow(/exporter nats: .*(certificate|self.signed|verify)/i);
    } finally {
      await sender.shutdown();
    }
  });
});
