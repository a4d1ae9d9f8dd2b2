import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminExtension } from '../../../src/extensions/admin/factory.js';
import { Gateway, loadConfig } from '../../../src/gateway.js';
import type { OtlpReceiver } from '../../../src/receivers/otlp/receiver.js';
import { OtlpHttpBackend } from '../../fakes/otlp-http-backend.js';
import { writeConfig } from '../../helpers/gateway-process.js';

/**
 * A gateway in this process with the admin extension behind a bearer token, an OTLP receiver, an
 * exporter with a persistent queue to a strict fake backend and one with an in-memory queue.
 * Secrets sit in the exporters' configs so a test can check that no answer carries them.
 */
export const ADMIN_TOKEN = 'admin-token-9f1c2e7d';
export const SECRETS = ['backend-header-secret-51a7', 'memory-exporter-key-88c3', ADMIN_TOKEN];

/** A Response whose JSON the tests read loosely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ApiResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export interface AdminHarness {
  gateway: Gateway;
  backend: OtlpHttpBackend;
  base: string;
  otlpUrl: string;
  /** fetch with the admin token, every answer kept for the secret check. */
  api(path: string, init?: RequestInit & { token?: string | null }): Promise<ApiResponse>;
  answers: string[];
  stop(): Promise<void>;
}

export async function startAdminHarness(): Promise<AdminHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'admin-api-'));
  const backend = await OtlpHttpBackend.start({ requiredHeaders: { 'x-backend-key': SECRETS[0]! } });
  const config = writeConfig(`
extensions:
  file_storage: { directory: ${dir} }
  bearertokenauth/admin: { token: ${ADMIN_TOKEN} }
  admin:
    endpoint: 127.0.0.1:0
    auth: { authenticator: bearertokenauth/admin }
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
exporters:
  otlphttp/backend:
    endpoint: ${backend.url}
    headers: { x-backend-key: ${SECRETS[0]} }
    sending_queue: { storage: file_storage }
    retry_on_failure: { enabled: false }
  otlphttp/memory:
    endpoint: ${backend.url}
    headers: { x-backend-key: ${SECRETS[0]}, x-api-key: ${SECRETS[1]} }
    retry_on_failure: { enabled: false }
service:
  extensions: [file_storage, bearertokenauth/admin, admin]
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp/backend]
    logs/memory:
      receivers: [otlp]
      exporters: [otlphttp/memory]
  telemetry:
    metrics: { level: none }
`);
  const gateway = new Gateway(loadConfig([config]), { stderrLogs: false, metricsServer: false });
  await gateway.start();
  const admin = gateway.service.getExtension('admin') as AdminExtension;
  const receiver = gateway.service.getReceiver('otlp') as OtlpReceiver;
  const base = `http://127.0.0.1:${admin.port}`;
  const answers: string[] = [];
  return {
    gateway,
    backend,
    base,
    otlpUrl: `http://127.0.0.1:${receiver.httpPort}/v1/logs`,
    answers,
    async api(path, init = {}) {
      const { token = ADMIN_TOKEN, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== null) headers.set('authorization', `Bearer ${token}`);
      const res = await fetch(`${base}${path}`, { ...rest, headers });
      const text = await res.clone().text();
      answers.push(`${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${text}`);
      return res;
    },
    async stop() {
      await gateway.shutdown();
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One OTLP/JSON request with `bodies.length` records. */
export async function sendLogs(otlpUrl: string, bodies: string[]): Promise<void> {
  const body = {
    resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ scope: { name: 'admin-test' }, logRecords: bodies.map((b) => ({ body: { stringValue: b } })) }] }],
  };
  const res = await fetch(otlpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`OTLP receiver answered ${res.status}: ${await res.text()}`);
}

/** Polls `probe` until it returns true (at most `timeoutMs`). */
export async function eventually(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
