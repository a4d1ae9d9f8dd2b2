import { credentials } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { grpcExportRaw, startReceiver, type Running } from './harness.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const logs: Logs = { resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord({ body: { stringValue: 'x' } })] }] }] };

let run: Running | undefined;
afterEach(async () => {
  await run?.receiver.shutdown();
  run = undefined;
});

describe('OTLP/gRPC receiver mutual TLS (tls.client_ca_file)', () => {
  it('refuses a client without a certificate signed by client_ca_file and accepts one with it', async () => {
    const tls = { cert_file: fixture('server.pem'), key_file: fixture('server.key'), client_ca_file: fixture('ca.pem') };
    run = await startReceiver({ grpc: { endpoint: '127.0.0.1:0', tls } });
    const ca = readFileSync(fixture('ca.pem'));
    const address = `localhost:${run.receiver.grpcPort}`;
    const anonymous = await grpcExportRaw(address, encodeLogs(logs), { credentials: credentials.createSsl(ca), channelOptions: { 'grpc.initial_reconnect_backoff_ms': 50 } });
    expect(anonymous.error?.code).toBeDefined();
    expect(run.next.calls).toBe(0);
    const withCert = credentials.createSsl(ca, readFileSync(fixture('client.key')), readFileSync(fixture('client.pem')));
    expect((await grpcExportRaw(address, encodeLogs(logs), { credentials: withCert })).error).toBeUndefined();
    expect(run.next.received).toHaveLength(1);
  });
});
