import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logsToJson } from '../../src/pdata/json.js';
import { startCloudWatchLogsFake, type CloudWatchLogsFake } from '../fakes/cloudwatch-logs.js';
import { credentialsEnv, fakeKeys, recentLogs, SECRET_ACCESS_KEY, SESSION_TOKEN, storedSeqs } from '../exporters/awscloudwatchlogs/cw-test-kit.js';
import { runCli, startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 20, acceptance 2 for CloudWatch Logs with the built CLI: records acknowledged while
 * CloudWatch is down survive a kill -9, are delivered after the restart through throttling (the
 * group and stream created on the way), a poison record ends up alone in the dead-letter store
 * (`queue dead-letter list`), and neither the secret key nor the session token is ever printed.
 */
const GROUP = 'make/executions';
const STREAM = 'gateway-1';
const REQUESTS = 4;
const PER_REQUEST = 500;
const POISON_SEQ = 777;

let cw: CloudWatchLogsFake;
let dir: string;
let configPath: string;
let httpPort: number;
const gateways: GatewayProcess[] = [];
const env = { ...credentialsEnv(), AWS_REGION: 'us-east-1' };

beforeAll(async () => {
  cw = await startCloudWatchLogsFake({ keys: fakeKeys() });
  cw.poison((m) => m.includes('POISON'));
  dir = mkdtempSync(join(tmpdir(), 'cwl-outage-'));
  httpPort = await freePort();
  configPath = writeConfig(
    `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
exporters:
  awscloudwatchlogs:
    log_group_name: ${GROUP}
    log_stream_name: ${STREAM}
    endpoint: ${cw.url}
    log_retention: 7
    timeout: 5s
    sending_queue:
      storage: file_storage
      num_consumers: 2
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 300ms
      max_elapsed_time: 0
extensions:
  file_storage:
    directory: ${join(dir, 'queue')}
service:
  extensions: [file_storage]
  # No /metrics listener: the default 0.0.0.0:8888 collides with other test files running at once.
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [awscloudwatchlogs]
`,
    dir,
  );
});

afterAll(async () => {
  for (const g of gateways) await g.kill9();
  await cw?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(r: number): Promise<number> {
  const start = Date.now() - 60_000;
  const logs = recentLogs(PER_REQUEST, 1024, start + r * PER_REQUEST);
  logs.resourceLogs[0].scopeLogs[0].logRecords.forEach((rec, i) => {
    const seq = r * PER_REQUEST + i;
    rec.attributes[0].value = { intValue: BigInt(seq) };
    if (seq === POISON_SEQ) rec.body = { stringValue: 'POISON record' };
  });
  const res = await fetch(`http://127.0.0.1:${httpPort}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: logsToJson(logs) });
  return res.status;
}

describe('awscloudwatchlogs through an outage and a kill -9', () => {
  it('delivers every acknowledged record after the restart and dead-letters the poison record alone', async () => {
    await cw.down();
    const first = await startGateway(configPath, env);
    gateways.push(first);
    for (let r = 0; r < REQUESTS; r++) expect(await post(r)).toBe(200);
    expect(await first.kill9()).toBe('SIGKILL');

    cw.failNext(2, 'ThrottlingException', 'PutLogEvents');
    await cw.up();
    const second = await startGateway(configPath, env);
    gateways.push(second);
    const expected = Array.from({ length: REQUESTS * PER_REQUEST }, (_, i) => i).filter((i) => i !== POISON_SEQ);
    await vi.waitFor(() => expect(new Set(storedSeqs(cw.events(GROUP, STREAM))).size).toBe(expected.length), { timeout: 60_000, interval: 200 });
    expect([...new Set(storedSeqs(cw.events(GROUP, STREAM)))].sort((a, b) => a - b)).toEqual(expected);
    expect(cw.calls.some((c) => c.type === 'ThrottlingException')).toBe(true);
    expect(cw.groups.get(GROUP)!.retentionInDays).toBe(7);
    expect(await second.stop()).toBe(0);

    const list = await runCli(['queue', 'dead-letter', 'list', '--config', configPath], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/records=1 .*InvalidParameterException/);
    expect(list.stdout).toContain('dead_letter_requests=1');

    const printed = [first.stderr(), first.stdout(), second.stderr(), second.stdout(), list.stdout, list.stderr].join('\n');
    expect(printed).not.toContain(SECRET_ACCESS_KEY);
    expect(printed).not.toContain(SESSION_TOKEN);
  });
});
