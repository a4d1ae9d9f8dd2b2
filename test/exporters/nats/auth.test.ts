import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { nkeys } from '@nats-io/transport-node';
import { natsExporterFactory } from '../../../src/exporters/nats/factory.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { natsServerMissing, startNatsServer, type NatsServer } from '../../helpers/nats-server.js';
import { captureLogger } from '../datadog/capture-logger.js';
import { numberedLogs } from '../datadog/build-logs.js';
import { consumeUntilAccepted, metricTotal } from '../consume-helpers.js';

/** The nats exporter's authentication and TLS against a real nats-server: token, nkey, user/password, mutual TLS. */

const host = { getExtension: () => undefined };

describe.skipIf(natsServerMissing !== undefined)('nats exporter: authentication', () => {
  const TOKEN = 'nats-secret-token-5f4e3d2c1b';
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer({ args: ['--auth', TOKEN] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('connects with the right token and publishes', async () => {
    const telemetry = new Telemetry({ processMetrics: false });
    const config = natsExporterFactory.schema.parse({ url: server.url, token: TOKEN, stream: 'AUTH', subject: 'auth.logs' });
    const exporter = natsExporterFactory.create({ id: 'nats', telemetry, logger: captureLogger() }, config);
    try {
      await exporter.start(host);
      await consumeUntilAccepted(exporter, numberedLogs(2, 10));
      await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(2), { timeout: 30_000 });
    } finally {
      await exporter.shutdown();
    }
  });

  it('fails to start with a wrong token, naming the cause and never the token', async () => {
    const wrong = 'nats-wrong-token-0a9b8c7d6e';
    const logger = captureLogger();
    const config = natsExporterFactory.schema.parse({ url: server.url, token: wrong, stream: 'AUTH', subject: 'auth.logs' });
    const exporter = natsExporterFactory.create({ id: 'nats', telemetry: new Telemetry({ processMetrics: false }), logger }, config);
    const err = await exporter.start(host).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    await exporter.shutdown();
    expect(err?.message).toMatch(/authorization|auth/i);
    expect(err?.message).not.toContain(wrong);
    expect(logger.lines.join('\n')).not.toContain(wrong);
  });
});

describe.skipIf(natsServerMissing !== undefined)('nats exporter: nkey and user/password authentication', () => {
  const user = nkeys.createUser();
  let server: NatsServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nats-nkey-'));
    server = await startNatsServer({
      config: `authorization { users = [ { nkey: ${user.getPublicKey()} }, { user: gw, password: "pw-0f1e2d3c4b" } ] }\n`,
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function publishes(auth: Record<string, unknown>, stream: string): Promise<void> {
    const telemetry = new Telemetry({ processMetrics: false });
    const config = natsExporterFactory.schema.parse({ url: server.url, stream, subject: `${stream.toLowerCase()}.logs`, ...auth });
    const exporter = natsExporterFactory.create({ id: 'nats', telemetry, logger: captureLogger() }, config);
    try {
      await exporter.start(host);
      await consumeUntilAccepted(exporter, numberedLogs(2, 10));
      await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(2), { timeout: 30_000 });
    } finally {
      await exporter.shutdown();
    }
  }

  it('authenticates with an nkey seed file', async () => {
    const seedFile = join(dir, 'user.nk');
    writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()) + '\n');
    await publishes({ nkey_file: seedFile }, 'NKEY');
  });

  it('authenticates with user and password, and a wrong password fails the start without the password in the error', async () => {
    await publishes({ user: 'gw', password: 'pw-0f1e2d3c4b' }, 'USERPW');
    const config = natsExporterFactory.schema.parse({ url: server.url, user: 'gw', password: 'pw-wrong-99aa88', stream: 'USERPW', subject: 'userpw.logs' });
    const exporter = natsExporterFactory.create({ id: 'nats', telemetry: new Telemetry({ processMetrics: false }), logger: captureLogger() }, config);
    const err = await exporter.start(host).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    await exporter.shutdown();
    expect(err?.message).toMatch(/authoriz/i);
    expect(err?.message).not.toContain('pw-wrong-99aa88');
  });
});

describe.skipIf(natsServerMissing !== undefined)('nats exporter: TLS', () => {
  const fixtures = join(import.meta.dirname, '../../receivers/otlp/fixtures');
  const f = (name: string) => join(fixtures, name);
  let server: NatsServer;
  beforeAll(async () => {
    // Mutual TLS: the server checks the client certificate against the same test CA.
    server = await startNatsServer({ args: ['--tlsverify', '--tlscert', f('server.pem'), '--tlskey', f('server.key'), '--tlscacert', f('ca.pem')] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('publishes over mutual TLS with ca_file, cert_file and key_file', async () => {
    const telemetry = new Telemetry({ processMetrics: false });
    const config = natsExporterFactory.schema.parse({
      url: `tls://127.0.0.1:${server.port}`,
      stream: 'TLS',
      subject: 'tls.logs',
      tls: { ca_file: f('ca.pem'), cert_file: f('client.pem'), key_file: f('client.key') },
    });
    const exporter = natsExporterFactory.create({ id: 'nats', telemetry, logger: captureLogger() }, config);
    try {
      await exporter.start(host);
      await consumeUntilAccepted(exporter, numberedLogs(2, 10));
      await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(2), { timeout: 30_000 });
    } finally {
      await exporter.shutdown();
    }
  });
});
