import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { runCli, startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 21, acceptance 2, with the built CLI: records a backend refused are dead-lettered; the
 * backend is fixed; `POST .../dead-letters/replay` and then `queue dead-letter replay` (which finds
 * the running gateway through the queue lock and its admin API) deliver them without a restart.
 */
const TOKEN = 'replay-test-admin-token-41d2';
let backend: OtlpHttpBackend;
let gateway: GatewayProcess;
let config: string;
let dir: string;
let otlpPort: number;
let adminPort: number;

beforeAll(async () => {
  backend = await OtlpHttpBackend.start();
  backend.failAlways({ status: 400, message: 'schema refused' });
  dir = mkdtempSync(join(tmpdir(), 'admin-replay-'));
  [otlpPort, adminPort] = [await freePort(), await freePort()];
  config = writeConfig(`
extensions:
  file_storage: { directory: ${dir} }
  bearertokenauth: { token: ${TOKEN} }
  admin:
    endpoint: 127.0.0.1:${adminPort}
    auth: { authenticator: bearertokenauth }
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${otlpPort} }
exporters:
  otlphttp:
    endpoint: ${backend.url}
    sending_queue: { storage: file_storage }
    retry_on_failure: { enabled: false }
service:
  extensions: [file_storage, bearertokenauth, admin]
  pipelines:
    logs: { receivers: [otlp], exporters: [otlphttp] }
  telemetry:
    metrics: { level: none }
`);
  gateway = await startGateway(config);
});

afterAll(async () => {
  await gateway?.stop();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(body: string): Promise<void> {
  const payload = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: body } }] }] }] };
  const res = await fetch(`http://127.0.0.1:${otlpPort}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  expect(res.status).toBe(200);
}

async function api(path: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers } });
  expect(res.status, path).toBe(200);
  return res.json();
}

async function eventually(probe: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`condition not met in time; gateway stderr:\n${gateway.stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const arrived = (body: string) => backend.records().filter((r) => r.body?.stringValue === body).length;

describe('dead-letter replay on a running gateway (built CLI)', () => {
  it('dead-letters what the backend refuses, then replays through the API and the queue CLI without a restart', async () => {
    await send('refused-first');
    await send('refused-second');
    await eventually(async () => (await api('/exporters/otlphttp/queue')).queue.deadLetters === 2);
    expect(arrived('refused-first')).toBe(0);
    const { deadLetters } = await api('/exporters/otlphttp/dead-letters');
    expect(deadLetters.map((d: { preview: string }) => d.preview)).toEqual(['refused-first', 'refused-second']);
    expect(deadLetters[0].reason).toMatch(/400/);

    backend.failAlways(undefined);
    const replayed = await api('/exporters/otlphttp/dead-letters/replay', { method: 'POST', body: JSON.stringify({ ids: [deadLetters[0].id] }) });
    expect(replayed.replayed).toEqual({ requests: 1, records: 1 });
    await eventually(() => arrived('refused-first') === 1);
    expect(arrived('refused-second')).toBe(0);

    const cli = await runCli(['queue', 'dead-letter', 'replay', '--config', config]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/exporter=otlphttp replayed_requests=1 replayed_records=1 note="requeued on the running gateway \(pid \d+\); sending now"/);
    await eventually(() => arrived('refused-second') === 1);
    expect(gateway.child.exitCode).toBeNull();
    expect((await api('/exporters/otlphttp/queue')).queue.deadLetters).toBe(0);

    const stats = await runCli(['queue', 'stats', '--config', config]);
    expect(stats.stdout).toMatch(/exporter=otlphttp queue_size=0 .*dead_letter_requests=0 .*source="running gateway/);
    expect(stats.stdout).not.toContain(TOKEN);
  });

  it('refuses a purge that names neither an exporter nor --all (exit 2), and purges with --all', async () => {
    const bare = await runCli(['queue', 'dead-letter', 'purge', '--config', config]);
    expect(bare.code).toBe(2);
    expect(bare.stdout + bare.stderr).toMatch(/refusing "queue dead-letter purge" without a selection: .*--exporter ID, or pass --all/);
    const all = await runCli(['queue', 'dead-letter', 'purge', '--all', '--config', config]);
    expect(all.code, all.stdout).toBe(0);
    expect(all.stdout).toMatch(/exporter=otlphttp purged_requests=0 purged_records=0/);
  });

  it('says why when the running gateway refuses the credentials', async () => {
    const wrong = await runCli(['queue', 'dead-letter', 'list', '--config', config], { MAKE_OTEL_GATEWAY_ADMIN_TOKEN: 'not-the-token' });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/admin API answered 401 .*MAKE_OTEL_GATEWAY_ADMIN_TOKEN/);
  });

  it('keeps working on the files once no gateway owns the directory', async () => {
    await gateway.stop();
    const list = await runCli(['queue', 'dead-letter', 'list', '--config', config]);
    expect(list.code, list.stdout).toBe(0);
    expect(list.stdout).toMatch(/exporter=otlphttp dead_letter_requests=0/);
    expect(list.stdout).not.toContain('running gateway');
  });
});
