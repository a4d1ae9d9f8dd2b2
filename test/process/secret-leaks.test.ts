import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { CLI, GatewayProcess, numbered, postLogs, queueCli, type GatewaySetup } from './delivery-harness.js';
import { existsSync } from 'node:fs';

/**
 * Issue: only the exact configured strings were scrubbed. A failing backend that echoes the
 * credentials it received leaked `Bearer X`'s `X` into logs and dead-letter reasons, and URL
 * `user:pass@` credentials (sent as Basic) leaked as base64. The built gateway, two exporters
 * against a backend that echoes its Authorization header in a 400: no form of either secret
 * appears on stderr, in the metrics, or in `queue dead-letter list`.
 */

const TOKEN = 'tok-Zq81mPx0-leak-check';
const USER = 'svc-gateway';
const PASSWORD = 'pw-Hy7!rk2-leak-check';
const PAIR = `${USER}:${PASSWORD}`;
const FORMS = [TOKEN, `Bearer ${TOKEN}`, PAIR, PASSWORD, encodeURIComponent(PASSWORD), Buffer.from(PAIR).toString('base64')];

let backend: Server;
let backendPort: number;
const seen: string[] = [];
let setup: GatewaySetup;
let gw: GatewayProcess | undefined;
let metricsPort: number;

/** A backend that refuses every request with 400 and echoes the credentials it was sent. */
function echoingBackend(req: IncomingMessage, res: import('node:http').ServerResponse) {
  req.resume();
  req.on('end', () => {
    const auth = req.headers.authorization ?? '';
    seen.push(auth);
    const body = JSON.stringify({ code: 3, message: `credentials not accepted: ${auth} (token ${auth.split(' ')[1] ?? ''}, url ${req.url})` });
    res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  backend = createServer(echoingBackend);
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  backendPort = (backend.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'gateway-secrets-'));
  const receiverPort = await freePort();
  metricsPort = await freePort();
  const configPath = join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${receiverPort}
exporters:
  otlphttp/bearer:
    endpoint: http://127.0.0.1:${backendPort}
    compression: none
    headers:
      authorization: "Bearer ${TOKEN}"
    sending_queue:
      storage: file_storage
    retry_on_failure:
      initial_interval: 100ms
  otlphttp/userinfo:
    endpoint: http://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${backendPort}
    compression: none
    sending_queue:
      storage: file_storage
    retry_on_failure:
      initial_interval: 100ms
extensions:
  file_storage:
    directory: ${join(dir, 'queue')}
service:
  extensions: [file_storage]
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
    logs:
      level: debug
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp/bearer, otlphttp/userinfo]
`,
  );
  setup = { dir, storageDir: join(dir, 'queue'), configPath, receiverPort, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  backend?.close();
  setup?.cleanup();
});

describe('secrets echoed by a failing backend', () => {
  it('appear in no form on stderr, in metrics or in the dead-letter list', async () => {
    gw = await GatewayProcess.start(setup);
    for (let i = 0; i < 3; i++) expect((await postLogs(setup.receiverPort, numbered(i, 2))).status).toBe(200);
    // Both exporters sent and had their requests refused (each refusal echoed the credentials).
    for (let i = 0; i < 400 && seen.length < 6; i++) await new Promise((r) => setTimeout(r, 50));
    expect(seen).toContain(`Bearer ${TOKEN}`);
    expect(seen).toContain(`Basic ${Buffer.from(PAIR).toString('base64')}`);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const { code } = await gw.stop();
    expect(code).toBe(0);
    const stderr = gw.stderr.join('');
    const list = await queueCli(setup, ['dead-letter', 'list']);
    expect(list.code).toBe(0);
    // The dead letters are there, with the backend's reason (scrubbed).
    expect(list.stdout).toContain('exporter=otlphttp/bearer dead_letter_requests=3');
    expect(list.stdout).toContain('exporter=otlphttp/userinfo dead_letter_requests=3');
    expect(list.stdout).toContain('credentials not accepted');
    for (const form of FORMS) {
      expect({ form, where: 'stderr', leaked: stderr.includes(form) }).toEqual({ form, where: 'stderr', leaked: false });
      expect({ form, where: 'dead-letter list', leaked: (list.stdout + list.stderr).includes(form) }).toEqual({ form, where: 'dead-letter list', leaked: false });
      expect({ form, where: 'metrics', leaked: metrics.includes(form) }).toEqual({ form, where: 'metrics', leaked: false });
    }
  }, 120_000);
});
