import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCredentialEndpoints, type CredentialEndpoints } from '../fakes/aws-credential-endpoints.js';
import { startCloudWatchLogsFake, type CloudWatchLogsFake } from '../fakes/cloudwatch-logs.js';
import { ACCESS_KEY_ID, fakeKeys, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../exporters/awscloudwatchlogs/cw-test-kit.js';
import { runCli, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/** The config as written, plus no /metrics listener: its default 0.0.0.0:8888 collides with other test files running at once. */
const NO_METRICS_LISTENER = 'yaml:service::telemetry::metrics::level: none';

/**
 * Issue 20, acceptance 5 for awscloudwatchlogs: the contrib README's "all configuration options"
 * example (test/fixtures/collector-configs/awscloudwatchlogs.yaml, adapted only in endpoints)
 * passes `validate` and runs in the built CLI: role_arn is assumed at the STS fake with the
 * environment's keys, the group is created with the README's tags and retention, and a log sent
 * over OTLP/HTTP lands in the stream, signed by the assumed role.
 */
const CONFIG = resolve(import.meta.dirname, '../fixtures/collector-configs/awscloudwatchlogs.yaml');
const ROLE = 'arn:aws:iam::123456789:role/monitoring-application-logs';

let cw: CloudWatchLogsFake;
let sts: CredentialEndpoints;
let gateway: GatewayProcess | undefined;
let env: NodeJS.ProcessEnv;
let httpPort: number;

beforeAll(async () => {
  cw = await startCloudWatchLogsFake({ keys: fakeKeys() });
  sts = await startCredentialEndpoints({
    onIssue: (c) => cw.addKey(c.accessKeyId, c),
    roleArn: ROLE,
    signingKeys: (id) => (id === ACCESS_KEY_ID ? { secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN } : undefined),
  });
  httpPort = await freePort();
  env = {
    CWL_ENDPOINT: cw.url,
    OTLP_HTTP_ENDPOINT: `127.0.0.1:${httpPort}`,
    AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN: SESSION_TOKEN,
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
});

afterAll(async () => {
  await gateway?.stop();
  await cw?.close();
  await sts?.close();
});

describe('the contrib awscloudwatchlogs README configuration', () => {
  it('passes validate', async () => {
    const r = await runCli(['validate', '--config', CONFIG], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('exporters [awscloudwatchlogs]');
  });

  it('runs: the group is created with its tags and retention, and a log arrives signed by the assumed role', async () => {
    gateway = await startGateway([CONFIG, NO_METRICS_LISTENER], env);
    const res = await fetch(`http://127.0.0.1:${httpPort}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'make' } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), severityText: 'INFO', body: { stringValue: 'scenario 42 finished' } }] }] }],
      }),
    });
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(cw.events('testing-logs', 'testing-integrations-stream')).toHaveLength(1), { timeout: 30_000, interval: 50 });
    const [event] = cw.events('testing-logs', 'testing-integrations-stream');
    expect(JSON.parse(event.message)).toMatchObject({ body: 'scenario 42 finished', severity_text: 'INFO', resource: { 'service.name': 'make' } });
    expect(cw.groups.get('testing-logs')).toMatchObject({ tags: { sampleKey: 'sampleValue' }, retentionInDays: 365 });
    expect(sts.issued.map((c) => c.via)).toEqual(['AssumeRole']);
    expect(cw.calls.filter((c) => c.status === 200).every((c) => c.accessKeyId === sts.issued[0].accessKeyId)).toBe(true);

    expect(await gateway.stop()).toBe(0);
    const output = gateway.stderr() + gateway.stdout();
    expect(output).not.toContain(SECRET_ACCESS_KEY);
    expect(output).not.toContain(SESSION_TOKEN);
    expect(output).not.toContain(sts.issued[0].secretAccessKey);
  });
});
