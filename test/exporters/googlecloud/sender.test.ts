import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPKCS8, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { googleCloudSchema } from '../../../src/exporters/googlecloud/config.js';
import { GoogleCloudSender } from '../../../src/exporters/googlecloud/sender.js';
import { newLogRecord } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import { GOOGLE_MAX_REQUEST_BYTES, GoogleLoggingFake } from '../../fakes/google-logging.js';
import { exportRequest, recordingLogger, sampleLogs } from './sample-logs.js';

const PROJECT = 'test-project';
const EMAIL = 'gateway@test-project.iam.gserviceaccount.com';

let dir: string;
let keyPem: string;
let publicKey: CryptoKey;
let fake: GoogleLoggingFake;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gcp-exporter-'));
  const pair = await generateKeyPair('RS256', { extractable: true });
  keyPem = await exportPKCS8(pair.privateKey);
  publicKey = pair.publicKey;
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => fake?.close());

async function startFake(tokenLifetimeS?: number) {
  fake = await new GoogleLoggingFake({ publicKey, clientEmail: EMAIL, project: PROJECT, tokenLifetimeS }).start();
  return fake;
}

async function keyFile(privateKeyPem = keyPem): Promise<string> {
  const file = join(dir, `key-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify({ type: 'service_account', project_id: PROJECT, private_key_id: 'k1', private_key: privateKeyPem, client_email: EMAIL, token_uri: fake.tokenUri }));
  return file;
}

async function sender(extra: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}, logger = recordingLogger()) {
  const config = googleCloudSchema.parse({ credentials_file: await keyFile(), log: { endpoint: fake.baseUrl }, ...extra });
  const s = new GoogleCloudSender(config as never, { logger, env });
  await s.start();
  return s;
}

const send = (s: GoogleCloudSender, logs = sampleLogs(3)) => s.send(exportRequest(logs), AbortSignal.timeout(30_000));
const seqs = (entries: Array<Record<string, unknown>>) => entries.map((e) => Number((e.labels as Record<string, string>).seq));

describe('googlecloud sender against a strict Cloud Logging fake', () => {
  it('delivers thousands of 1 KiB records complete, in writes under the 10 MiB limit', async () => {
    await startFake();
    const s = await sender();
    const n = 9000;
    expect(await send(s, sampleLogs(n))).toEqual({ kind: 'success' });
    expect(fake.writeRequests.length).toBeGreaterThan(1);
    for (const r of fake.writeRequests) expect(r.bytes).toBeLessThanOrEqual(GOOGLE_MAX_REQUEST_BYTES);
    expect(seqs(fake.entries).sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    expect(fake.tokenRequests).toBe(1);
  });

  it('maps a record field by field onto a LogEntry', async () => {
    await startFake();
    const s = await sender();
    const logs = sampleLogs(0, 0, { 'service.namespace': 'shop', 'host.id': 'i-123', 'cloud.region': 'europe-west1' });
    logs.resourceLogs[0].scopeLogs[0].logRecords.push(
      newLogRecord({
        timeUnixNano: 1_764_240_000_123_456_789n,
        severityNumber: 18,
        body: { kvlistValue: { values: [attr('user', 'ann'), attr('count', 7), attr('big', 2n ** 62n)] } },
        attributes: [attr('http.status', 503), attr('retry', true), attr('path', '/api')],
        traceId: Uint8Array.from(Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex')),
        spanId: Uint8Array.from(Buffer.from('a1a2a3a4a5a6a7a8', 'hex')),
        flags: 1,
      }),
      newLogRecord({ observedTimeUnixNano: 1_764_240_000_000_000_001n, body: { stringValue: 'plain text' } }),
    );
    expect(await send(s, logs)).toEqual({ kind: 'success' });
    const [structured, plain] = fake.entries;
    expect(structured).toMatchObject({
      logName: `projects/${PROJECT}/logs/opentelemetry.io%2Fcollector-exported-log`,
      resource: { type: 'generic_node', labels: { location: 'europe-west1', namespace: 'shop', node_id: 'i-123' } },
      timestamp: '2025-11-27T10:40:00.123456789Z',
      severity: 'ERROR',
      labels: { 'http.status': '503', retry: 'true', path: '/api' },
      trace: `projects/${PROJECT}/traces/0102030405060708090a0b0c0d0e0f10`,
      spanId: 'a1a2a3a4a5a6a7a8',
      traceSampled: true,
      jsonPayload: { user: 'ann', count: 7, big: '4611686018427387904' },
    });
    expect(structured.textPayload).toBeUndefined();
    expect(plain).toMatchObject({ severity: 'DEFAULT', textPayload: 'plain text', timestamp: '2025-11-27T10:40:00.000000001Z' });
    expect(plain.trace).toBeUndefined();
    expect(plain.jsonPayload).toBeUndefined();
  });

  it('treats 503 UNAVAILABLE as retryable', async () => {
    await startFake();
    const s = await sender();
    fake.throttleNext(1, 503);
    expect((await send(s)).kind).toBe('retryable');
  });

  it('refreshes an expired token and delivers the same batch in the same send', async () => {
    await startFake();
    const s = await sender();
    expect(await send(s, sampleLogs(2))).toEqual({ kind: 'success' });
    fake.expireTokens();
    expect(await send(s, sampleLogs(5))).toEqual({ kind: 'success' });
    expect(fake.tokenRequests).toBe(2);
    expect(fake.entries).toHaveLength(7);
  });

  it('fails permanently when the key does not match the service account, without leaking it', async () => {
    await startFake();
    const other = await generateKeyPair('RS256', { extractable: true });
    const wrongPem = await exportPKCS8(other.privateKey);
    const logger = recordingLogger();
    const config = googleCloudSchema.parse({ credentials_file: await keyFile(wrongPem), log: { endpoint: fake.baseUrl } });
    const s = new GoogleCloudSender(config as never, { logger, env: {} });
    await s.start();
    const result = await send(s);
    expect(result).toMatchObject({ kind: 'permanent' });
    const reason = (result as { reason: string }).reason;
    expect(reason).toContain('invalid_grant');
    const keyBody = wrongPem.split('\n')[1];
    expect(reason).not.toContain(keyBody);
    expect(logger.lines.join('\n')).not.toContain(keyBody);
    expect(fake.entries).toHaveLength(0);
  });

  it('fails permanently when Google refuses every entry', async () => {
    await startFake();
    const s = await sender();
    const logs = sampleLogs(2);
    for (const r of logs.resourceLogs[0].scopeLogs[0].logRecords) r.attributes.push(attr('huge', 'y'.repeat(300_000)));
    expect(await send(s, logs)).toMatchObject({ kind: 'permanent', reason: expect.stringContaining('refused every entry') });
  });

  it('fails permanently when the project is not writable by the account', async () => {
    await startFake();
    const s = await sender({ project: 'someone-elses-project' });
    expect(await send(s)).toMatchObject({ kind: 'permanent' });
  });

  it('falls back to the GCE metadata server for token and project', async () => {
    await startFake();
    const config = googleCloudSchema.parse({ log: { endpoint: fake.baseUrl } });
    const s = new GoogleCloudSender(config as never, { logger: recordingLogger(), env: { GCE_METADATA_HOST: fake.metadataHost } });
    await s.start();
    expect(await send(s)).toEqual({ kind: 'success' });
    expect(fake.metadataTokenRequests).toBe(1);
    expect(fake.entries[0].logName).toBe(`projects/${PROJECT}/logs/opentelemetry.io%2Fcollector-exported-log`);
  });

  it('reads the key file named by GOOGLE_APPLICATION_CREDENTIALS', async () => {
    await startFake();
    const config = googleCloudSchema.parse({ log: { endpoint: fake.baseUrl } });
    const s = new GoogleCloudSender(config as never, { logger: recordingLogger(), env: { GOOGLE_APPLICATION_CREDENTIALS: await keyFile() } });
    await s.start();
    expect(await send(s)).toEqual({ kind: 'success' });
    expect(fake.tokenRequests).toBe(1);
  });

  it('refuses to start on an unreadable key file, naming the file but not its content', async () => {
    await startFake();
    const config = googleCloudSchema.parse({ credentials_file: join(dir, 'missing.json') });
    const s = new GoogleCloudSender(config as never, { logger: recordingLogger(), env: {} });
    await expect(s.start()).rejects.toThrow(/missing\.json.*ENOENT/);
  });

  it('splits an entry above 256 KB into linked parts that reassemble to the original text', async () => {
    await startFake();
    const s = await sender();
    const big = 'é'.repeat(200_000) + 'tail';
    const logs = sampleLogs(1);
    logs.resourceLogs[0].scopeLogs[0].logRecords[0].body = { stringValue: big };
    expect(await send(s, logs)).toEqual({ kind: 'success' });
    expect(fake.entries.length).toBeGreaterThan(1);
    const splits = fake.entries.map((e) => e.split as { uid: string; index: number; totalSplits: number });
    expect(new Set(splits.map((x) => x.uid)).size).toBe(1);
    expect(splits.map((x) => x.index)).toEqual([...Array(fake.entries.length).keys()]);
    expect(splits.every((x) => x.totalSplits === fake.entries.length)).toBe(true);
    expect(fake.entries.map((e) => e.textPayload).join('')).toBe(big);
  });

  it('counts an entry Google refuses and still writes the rest (partialSuccess)', async () => {
    await startFake();
    const s = await sender();
    const logs = sampleLogs(3);
    logs.resourceLogs[0].scopeLogs[0].logRecords[1].attributes.push(attr('huge', 'y'.repeat(300_000)));
    const result = await send(s, logs);
    expect(result).toMatchObject({ kind: 'success', rejected: 1, message: expect.stringContaining('exceeds maximum size') });
    expect(seqs(fake.entries)).toEqual([0, 2]);
    // The refused record is handed back whole, for the dead-letter store.
    const deadLettered = (result as { rejectedLogs: import('../../../src/pdata/model.js').Logs }).rejectedLogs;
    expect(deadLettered.resourceLogs[0].scopeLogs[0].logRecords).toEqual([logs.resourceLogs[0].scopeLogs[0].logRecords[1]]);
  });

  it('gives a re-sent batch the same insertIds, so Cloud Logging shows no duplicates', async () => {
    await startFake();
    const s = await sender();
    const logs = sampleLogs(4);
    await send(s, logs);
    await send(s, logs);
    expect(fake.entries).toHaveLength(8);
    expect(fake.visibleEntries()).toHaveLength(4);
  });

  it('compresses with gzip when log.compression is gzip', async () => {
    await startFake();
    const s = await sender({ log: { endpoint: fake.baseUrl, compression: 'gzip' } });
    expect(await send(s, sampleLogs(50))).toEqual({ kind: 'success' });
    expect(fake.writeRequests[0].gzip).toBe(true);
    expect(fake.entries).toHaveLength(50);
  });

  it('reports an unreachable token endpoint as retryable', async () => {
    await startFake();
    const s = await sender();
    await fake.close();
    expect(await send(s)).toMatchObject({ kind: 'retryable', reason: expect.stringContaining('ECONNREFUSED') });
  });

  it('reports an unreachable logging endpoint as retryable', async () => {
    await startFake();
    const s = await sender({ log: { endpoint: 'http://127.0.0.1:1' } });
    expect(await send(s)).toMatchObject({ kind: 'retryable', reason: expect.stringContaining('network error') });
  });
});
