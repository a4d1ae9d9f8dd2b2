import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsCredentials } from '../../../src/exporters/aws/credentials.js';
import { signPost } from '../../../src/exporters/aws/sigv4.js';
import { CW_MAX_EVENT_BYTES, CW_MAX_REQUEST_BYTES, startCloudWatchLogsFake, type CloudWatchLogsFake } from '../../fakes/cloudwatch-logs.js';

/** The fake must refuse what CloudWatch Logs refuses, or the exporter tests prove nothing. */
const KEY: AwsCredentials = { accessKeyId: 'AKIDSTRICTNESS0001', secretAccessKey: 'strictness-secret-key-0123456789abcdefgh', source: 'test' };
const SESSION: AwsCredentials = { accessKeyId: 'ASIASTRICTNESS0002', secretAccessKey: 'session-secret-0123456789abcdefghij', sessionToken: 'session-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ', source: 'test' };

let fake: CloudWatchLogsFake;
beforeEach(async () => {
  fake = await startCloudWatchLogsFake({ keys: { [KEY.accessKeyId]: { secretAccessKey: KEY.secretAccessKey }, [SESSION.accessKeyId]: { secretAccessKey: SESSION.secretAccessKey, sessionToken: SESSION.sessionToken } } });
  fake.createGroup('g', ['s']);
});
afterEach(() => fake.close());

async function call(operation: string, payload: unknown, o: { creds?: AwsCredentials; region?: string; contentType?: string; tamper?: (h: Record<string, string>) => void } = {}) {
  const body = JSON.stringify(payload);
  const url = new URL(fake.url);
  const signed = await signPost(url, { 'content-type': o.contentType ?? 'application/x-amz-json-1.1', 'x-amz-target': `Logs_20140328.${operation}` }, body, o.creds ?? KEY, o.region ?? 'us-east-1', 'logs');
  const { host: _h, ...headers } = signed.headers;
  o.tamper?.(headers);
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const now = () => Date.now();
const ev = (message: string, timestamp = now()) => ({ timestamp, message });
const put = (logEvents: unknown[], extra: Record<string, unknown> = {}) => call('PutLogEvents', { logGroupName: 'g', logStreamName: 's', logEvents, ...extra });

describe('CloudWatch Logs fake strictness', () => {
  it('verifies SigV4: unsigned, wrong secret, wrong region, tampered body and unknown keys are refused', async () => {
    const unsigned = await fetch(fake.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.PutLogEvents' }, body: '{}' });
    expect(unsigned.status).toBe(400);
    expect(((await unsigned.json()) as any).__type).toBe('MissingAuthenticationTokenException');
    expect((await put([ev('x')].map((e) => e), {}).then((r) => r.status))).toBe(200);
    const wrongSecret = await call('PutLogEvents', { logGroupName: 'g', logStreamName: 's', logEvents: [ev('x')] }, { creds: { ...KEY, secretAccessKey: 'not-the-secret-0000000000000000000000' } });
    expect(wrongSecret).toMatchObject({ status: 403, body: { __type: 'InvalidSignatureException' } });
    expect((await call('PutLogEvents', {}, { region: 'eu-west-1' })).body.__type).toBe('InvalidSignatureException');
    expect((await call('PutLogEvents', {}, { creds: { ...KEY, accessKeyId: 'AKIDUNKNOWN' } })).body.__type).toBe('UnrecognizedClientException');
    const tampered = await call('PutLogEvents', {}, { tamper: (h) => (h['x-amz-target'] = 'Logs_20140328.CreateLogGroup') });
    expect(tampered.body.__type).toBe('InvalidSignatureException');
  });

  it('requires the session token of temporary credentials, signed, and refuses expired ones', async () => {
    expect((await put([ev('a')], {}).then(() => call('PutLogEvents', { logGroupName: 'g', logStreamName: 's', logEvents: [ev('b')] }, { creds: SESSION }))).status).toBe(200);
    const noToken = await call('PutLogEvents', {}, { creds: { ...SESSION, sessionToken: undefined } });
    expect(noToken.body.__type).toBe('UnrecognizedClientException');
    fake.expireKey(SESSION.accessKeyId);
    expect((await call('PutLogEvents', { logGroupName: 'g', logStreamName: 's', logEvents: [ev('c')] }, { creds: SESSION })).body.__type).toBe('ExpiredTokenException');
  });

  it('refuses a wrong content type or target', async () => {
    expect((await call('PutLogEvents', {}, { contentType: 'application/json' })).body.__type).toBe('SerializationException');
    expect((await call('DeleteEverything', {})).body.__type).toBe('UnknownOperationException');
  });

  it('enforces the PutLogEvents limits: count, request bytes with 26 per event, event size, order, 24 h span, empty message', async () => {
    const tooMany = Array.from({ length: 10_001 }, () => ev('x'));
    expect((await put(tooMany)).body.__type).toBe('InvalidParameterException');
    // 4 events of (262,118 + 26) bytes = 1,048,576: exactly at the limit is fine, one byte more is not.
    const atEventLimit = 'x'.repeat(CW_MAX_EVENT_BYTES - 26);
    expect((await put([ev(atEventLimit), ev(atEventLimit), ev(atEventLimit), ev(atEventLimit)])).status).toBe(200);
    expect(4 * CW_MAX_EVENT_BYTES).toBe(CW_MAX_REQUEST_BYTES);
    const over = await put([ev(atEventLimit), ev(atEventLimit), ev(atEventLimit), ev(atEventLimit), ev('y')]);
    expect(over.body).toMatchObject({ __type: 'InvalidParameterException', message: expect.stringContaining('Upload too large') });
    expect((await put([ev(atEventLimit + 'é')])).body.message).toMatch(/Log event too large/);
    const t = now();
    expect((await put([ev('later', t), ev('earlier', t - 1)])).body.message).toMatch(/chronological order/);
    expect((await put([ev('a', t - 25 * 3_600_000), ev('b', t)])).body.message).toMatch(/span more than 24 hours/);
    expect((await put([ev('')])).body.__type).toBe('InvalidParameterException');
  });

  it('answers ResourceNotFoundException for a missing group or stream, and creates them with tags and retention', async () => {
    expect((await call('PutLogEvents', { logGroupName: 'nope', logStreamName: 's', logEvents: [ev('x')] })).body).toMatchObject({ __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
    expect((await call('PutLogEvents', { logGroupName: 'g', logStreamName: 'nope', logEvents: [ev('x')] })).body.message).toBe('The specified log stream does not exist.');
    expect((await call('CreateLogStream', { logGroupName: 'new', logStreamName: 's' })).body.__type).toBe('ResourceNotFoundException');
    expect((await call('CreateLogGroup', { logGroupName: 'new', tags: { team: 'obs' } })).status).toBe(200);
    expect((await call('CreateLogGroup', { logGroupName: 'new' })).body.__type).toBe('ResourceAlreadyExistsException');
    expect((await call('PutRetentionPolicy', { logGroupName: 'new', retentionInDays: 2 })).body.__type).toBe('InvalidParameterException');
    expect((await call('PutRetentionPolicy', { logGroupName: 'new', retentionInDays: 7 })).status).toBe(200);
    expect((await call('CreateLogStream', { logGroupName: 'new', logStreamName: 's' })).status).toBe(200);
    expect(fake.groups.get('new')).toMatchObject({ tags: { team: 'obs' }, retentionInDays: 7 });
  });

  it('stores events inside the time window and reports the others in rejectedLogEventsInfo', async () => {
    const t = now();
    const old = await put([ev('old', t - 15 * 86_400_000), ev('old too', t - 15 * 86_400_000 + 1)]);
    expect(old).toMatchObject({ status: 200, body: { rejectedLogEventsInfo: { tooOldLogEventEndIndex: 1 } } });
    const r = await put([ev('ok', t), ev('future', t + 3 * 3_600_000)]);
    expect(r.status).toBe(200);
    expect(r.body.rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 1 });
    expect(fake.events('g', 's').map((e) => e.message)).toEqual(['ok']);
  });

  it('throttles, fails and poisons on request', async () => {
    fake.failNext(1, 'ThrottlingException');
    expect(await put([ev('x')])).toMatchObject({ status: 400, body: { __type: 'ThrottlingException' } });
    fake.failNext(1, 'ServiceUnavailableException');
    expect(await put([ev('x')])).toMatchObject({ status: 500, body: { __type: 'ServiceUnavailableException' } });
    fake.poison((m) => m.includes('POISON'));
    expect((await put([ev('fine'), ev('POISON')])).body.__type).toBe('InvalidParameterException');
    expect((await put([ev('fine')])).status).toBe(200);
  });

  it('goes down and comes back on the same port', async () => {
    await fake.down();
    await expect(fetch(fake.url, { method: 'POST', body: '{}' })).rejects.toThrow();
    await fake.up();
    expect((await put([ev('back')])).status).toBe(200);
  });
});
