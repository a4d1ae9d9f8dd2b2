import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultCredentialsProvider, resolveDefaultChain, resolveRegion } from '../../../src/exporters/aws/credential-chain.js';
import { CachedCredentialsProvider, type AwsCredentials } from '../../../src/exporters/aws/credentials.js';
import { CloudWatchLogsSender } from '../../../src/exporters/awscloudwatchlogs/sender.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { startCredentialEndpoints, type CredentialEndpoints } from '../../fakes/aws-credential-endpoints.js';
import { startCloudWatchLogsFake, type CloudWatchLogsFake } from '../../fakes/cloudwatch-logs.js';
import { exportRequest, noTimeout } from '../datadog/build-logs.js';
import { ACCESS_KEY_ID, cwConfig, fakeKeys, recentLogs, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../awscloudwatchlogs/cw-test-kit.js';

/**
 * Every link of the default credential chain, each against a local fake reached through the
 * variables the AWS SDKs honour, and proven by a PutLogEvents whose signature the CloudWatch fake
 * verifies.
 */

const WEB_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.web-identity-token.signature';
const ROLE = 'arn:aws:iam::123456789012:role/gateway';

let cw: CloudWatchLogsFake;
let endpoints: CredentialEndpoints;
let dir: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aws-chain-'));
  cw = await startCloudWatchLogsFake({ keys: fakeKeys() });
  cw.createGroup('make/executions', ['gateway-1']);
  endpoints = await startCredentialEndpoints({
    onIssue: (c) => cw.addKey(c.accessKeyId, c),
    webIdentityToken: WEB_TOKEN,
    roleArn: ROLE,
    signingKeys: (id) => (id === ACCESS_KEY_ID ? { secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN } : undefined),
    ecsAuthorization: 'pod-identity-token-abc',
  });
});
afterEach(async () => {
  await cw.close();
  await endpoints.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An environment with nothing in it: no keys, no home files, no IMDS unless a test adds them. */
const bare = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ HOME: dir, AWS_EC2_METADATA_DISABLED: 'true', ...extra });

async function deliverWith(env: NodeJS.ProcessEnv, overrides: Record<string, unknown> = {}) {
  const sender = new CloudWatchLogsSender(cwConfig(cw.url, overrides), { logger: silentLogger, env });
  const result = await sender.send(exportRequest(recentLogs(3, 20)), noTimeout());
  return { result, signedBy: cw.calls.filter((c) => c.status === 200).map((c) => c.accessKeyId) };
}

describe('AWS default credential chain', () => {
  it('takes environment variables first', async () => {
    writeFileSync(join(dir, 'credentials'), '[default]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = file-secret\n');
    const creds = await resolveDefaultChain({ env: bare({ AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') }) });
    expect(creds).toMatchObject({ accessKeyId: ACCESS_KEY_ID, source: 'environment' });
  });

  it('reads the shared credentials file for AWS_PROFILE, and the region from the config file', async () => {
    writeFileSync(join(dir, 'credentials'), `[default]\naws_access_key_id = AKIDWRONGPROFILE\naws_secret_access_key = nope\n\n# ci runner\n[ci]\naws_access_key_id = ${ACCESS_KEY_ID}\naws_secret_access_key = ${SECRET_ACCESS_KEY}\naws_session_token = ${SESSION_TOKEN}\n`);
    writeFileSync(join(dir, 'config'), '[default]\nregion = eu-west-1\n\n[profile ci]\nregion = us-east-1\n');
    const env = bare({ AWS_PROFILE: 'ci', AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config') });
    expect(await resolveRegion(env)).toBe('us-east-1');
    const { result, signedBy } = await deliverWith(env, { region: undefined });
    expect(result.kind).toBe('success');
    expect(signedBy).toEqual([ACCESS_KEY_ID]);
  });

  it('exchanges the web identity token file at STS (AssumeRoleWithWebIdentity)', async () => {
    writeFileSync(join(dir, 'token'), `${WEB_TOKEN}\n`);
    const env = bare({ AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'token'), AWS_ROLE_ARN: ROLE, AWS_ENDPOINT_URL_STS: endpoints.url });
    const { result, signedBy } = await deliverWith(env);
    expect(result.kind).toBe('success');
    expect(endpoints.issued.map((c) => c.via)).toEqual(['AssumeRoleWithWebIdentity']);
    expect(signedBy).toEqual([endpoints.issued[0].accessKeyId]);
  });

  it('fails for good when STS refuses the web identity token', async () => {
    writeFileSync(join(dir, 'token'), 'not-the-token');
    const env = bare({ AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'token'), AWS_ROLE_ARN: ROLE, AWS_ENDPOINT_URL_STS: endpoints.url });
    const { result } = await deliverWith(env);
    expect(result).toMatchObject({ kind: 'permanent', reason: expect.stringContaining('InvalidIdentityToken') });
    expect((result as { reason: string }).reason).not.toContain('not-the-token');
  });

  it('fetches ECS / Pod Identity container credentials from the full URI with the authorization token file', async () => {
    writeFileSync(join(dir, 'pod-token'), 'pod-identity-token-abc\n');
    const env = bare({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoints.url}/v2/credentials/task-1`, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: join(dir, 'pod-token') });
    const { result, signedBy } = await deliverWith(env);
    expect(result.kind).toBe('success');
    expect(signedBy).toEqual([endpoints.issued[0].accessKeyId]);
    expect(endpoints.issued[0].via).toBe('ecs');
  });

  it('resolves AWS_CONTAINER_CREDENTIALS_RELATIVE_URI against the container host', async () => {
    const creds = await resolveDefaultChain({ env: bare({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/task-2', AWS_CONTAINER_AUTHORIZATION_TOKEN: 'pod-identity-token-abc' }), containerHost: endpoints.url });
    expect(creds).toMatchObject({ accessKeyId: endpoints.issued[0].accessKeyId, source: 'container credentials endpoint' });
    expect(creds.expiration).toBeInstanceOf(Date);
  });

  it('refuses a FULL_URI that is plain http to a non-local host', async () => {
    await expect(resolveDefaultChain({ env: bare({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://example.com/creds' }) })).rejects.toThrow(/not allowed over http/);
  });

  it('uses EC2 IMDSv2: a session token first, then the role and its credentials', async () => {
    const env = bare({ AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoints.url });
    const { result, signedBy } = await deliverWith(env);
    expect(result.kind).toBe('success');
    expect(endpoints.issued.map((c) => c.via)).toEqual(['imds']);
    expect(signedBy).toEqual([endpoints.issued[0].accessKeyId]);
    expect(endpoints.refusals).toEqual([]);
  });

  it('answers retryable with a clear reason when no source has credentials', async () => {
    const { result } = await deliverWith(bare());
    expect(result).toMatchObject({ kind: 'retryable', reason: expect.stringContaining('no AWS credentials found') });
  });

  it('assumes role_arn with STS AssumeRole signed by the chain\'s credentials', async () => {
    const env = bare({ AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: SESSION_TOKEN, AWS_ENDPOINT_URL_STS: endpoints.url });
    const { result, signedBy } = await deliverWith(env, { role_arn: ROLE });
    expect(result.kind).toBe('success');
    expect(endpoints.issued.map((c) => c.via)).toEqual(['AssumeRole']);
    expect(signedBy).toEqual([endpoints.issued[0].accessKeyId]);
  });

  it('re-resolves credentials CloudWatch calls expired, and delivers with the new ones', async () => {
    const env = bare({ AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoints.url });
    const sender = new CloudWatchLogsSender(cwConfig(cw.url), { logger: silentLogger, env });
    expect((await sender.send(exportRequest(recentLogs(1, 10)), noTimeout())).kind).toBe('success');
    cw.expireKey(endpoints.issued[0].accessKeyId);
    expect((await sender.send(exportRequest(recentLogs(1, 10)), noTimeout())).kind).toBe('success');
    expect(endpoints.issued).toHaveLength(2);
    expect(cw.calls.map((c) => c.type ?? c.status)).toEqual([200, 'ExpiredTokenException', 200]);
  });
});

describe('credential cache', () => {
  const temp = (id: string, expiresAt: number): AwsCredentials => ({ accessKeyId: id, secretAccessKey: 's', sessionToken: 't', expiration: new Date(expiresAt), source: 'test' });

  it('reuses temporary credentials until five minutes before they expire, then refreshes once for concurrent callers', async () => {
    let now = 0;
    let fetches = 0;
    const cache = new CachedCredentialsProvider(async () => temp(`K${++fetches}`, now + 3_600_000), () => now);
    expect((await cache.get()).accessKeyId).toBe('K1');
    now = 3_600_000 - 5 * 60_000 - 1;
    expect((await cache.get()).accessKeyId).toBe('K1');
    now += 1;
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect([a.accessKeyId, b.accessKeyId]).toEqual(['K2', 'K2']);
    expect(fetches).toBe(2);
  });

  it('refreshes short-lived credentials at half their lifetime', async () => {
    let now = 0;
    let fetches = 0;
    const cache = new CachedCredentialsProvider(async () => temp(`K${++fetches}`, now + 120_000), () => now);
    await cache.get();
    now = 59_999;
    expect((await cache.get()).accessKeyId).toBe('K1');
    now = 60_000;
    expect((await cache.get()).accessKeyId).toBe('K2');
  });

  it('keeps long-term keys until invalidated, and drops only the credentials invalidated', async () => {
    let fetches = 0;
    const cache = new CachedCredentialsProvider(async () => ({ accessKeyId: `K${++fetches}`, secretAccessKey: 's', source: 'test' }));
    const first = await cache.get();
    expect(await cache.get()).toBe(first);
    cache.invalidate({ ...first });
    expect(await cache.get()).toBe(first);
    cache.invalidate(first);
    expect((await cache.get()).accessKeyId).toBe('K2');
  });

  it('caches the assumed role on top of the chain', async () => {
    const provider = defaultCredentialsProvider({ env: bare({ AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: SESSION_TOKEN, AWS_ENDPOINT_URL_STS: endpoints.url }), roleArn: ROLE });
    const a = await provider.get();
    const b = await provider.get();
    expect(a).toBe(b);
    expect(endpoints.issued).toHaveLength(1);
  });
});

describe('credential endpoint fakes strictness', () => {
  it('IMDS refuses GETs without a session token and a token PUT without a TTL', async () => {
    expect((await fetch(`${endpoints.url}/latest/meta-data/iam/security-credentials/`)).status).toBe(401);
    expect((await fetch(`${endpoints.url}/latest/api/token`, { method: 'PUT' })).status).toBe(400);
    expect((await fetch(`${endpoints.url}/latest/api/token`)).status).toBe(405);
  });

  it('the container endpoint refuses a missing authorization token', async () => {
    expect((await fetch(`${endpoints.url}/v2/credentials/x`)).status).toBe(401);
  });

  it('STS refuses an unsigned AssumeRole, a wrong role and a wrong API version', async () => {
    const post = (params: Record<string, string>) => fetch(endpoints.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
    const unsigned = await post({ Action: 'AssumeRole', Version: '2011-06-15', RoleArn: ROLE, RoleSessionName: 's' });
    expect(await unsigned.text()).toContain('<Code>MissingAuthenticationTokenException</Code>');
    const wrongRole = await post({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: 'arn:aws:iam::1:role/other', RoleSessionName: 's', WebIdentityToken: WEB_TOKEN });
    expect(wrongRole.status).toBe(403);
    const wrongVersion = await post({ Action: 'AssumeRoleWithWebIdentity', Version: '2010-01-01', RoleArn: ROLE, RoleSessionName: 's', WebIdentityToken: WEB_TOKEN });
    expect(wrongVersion.status).toBe(400);
    expect(endpoints.issued).toEqual([]);
  });
});

describe('local_mode', () => {
  it('leaves instance metadata out of the chain', async () => {
    const env = bare({ AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoints.url });
    const { result } = await deliverWith(env, { local_mode: true });
    expect(result).toMatchObject({ kind: 'retryable', reason: expect.stringContaining('instance metadata is disabled') });
    expect(endpoints.issued).toEqual([]);
  });
});
