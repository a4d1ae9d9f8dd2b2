import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { adminConfigSchema, isLoopbackHost, type AdminConfig } from '../../../src/extensions/admin/config.js';
import { AdminExtension } from '../../../src/extensions/admin/extension.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { Gateway, loadConfig } from '../../../src/gateway.js';
import { writeConfig } from '../../helpers/gateway-process.js';

/** Issue 21: the admin extension's keys, loopback-only without auth, and listen errors. */
const pipeline = `
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
exporters:
  debug: {}
`;
const service = (extensions: string) => `
service:
  extensions: [${extensions}]
  pipelines:
    logs: { receivers: [otlp], exporters: [debug] }
  telemetry:
    metrics: { level: none }
`;

let blocker: Server | undefined;
let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.shutdown();
  gateway = undefined;
  await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
  blocker = undefined;
});

describe('admin extension config', () => {
  it('listens on localhost:55679 by default', () => {
    expect(adminConfigSchema.parse({})).toMatchObject({ endpoint: { host: 'localhost', port: 55679 } });
  });

  it('takes tls, cors and auth with the Collector key names and refuses unknown keys', () => {
    const c = adminConfigSchema.parse({
      endpoint: '0.0.0.0:9999',
      auth: { authenticator: 'bearertokenauth' },
      cors: { allowed_origins: ['https://ops.example'], allowed_headers: ['X-Requested-With'], max_age: 600 },
    });
    expect(c.cors).toEqual({ allowed_origins: ['https://ops.example'], allowed_headers: ['X-Requested-With'], max_age: 600 });
    expect(adminConfigSchema.safeParse({ endpoit: 'localhost:1' }).success).toBe(false);
  });

  it('tells loopback hosts from others', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'admin.example', '']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('is refused by validate when the endpoint is not loopback and auth is missing', () => {
    const path = writeConfig(`${pipeline}extensions:\n  admin: { endpoint: 0.0.0.0:0 }\n${service('admin')}`);
    expect(() => loadConfig([path])).toThrow(/extensions\.admin\.auth: required when the endpoint is not loopback/);
  });

  it('is refused by validate when auth names a missing or unsuitable extension', () => {
    const missing = writeConfig(`${pipeline}extensions:\n  admin: { endpoint: 0.0.0.0:0, auth: { authenticator: bearertokenauth } }\n${service('admin')}`);
    expect(() => loadConfig([missing])).toThrow(/extensions\.admin\.auth\.authenticator: extension "bearertokenauth" is not defined/);
    const storage = writeConfig(`${pipeline}extensions:\n  file_storage: { directory: /tmp }\n  admin: { endpoint: 0.0.0.0:0, auth: { authenticator: file_storage } }\n${service('file_storage, admin')}`);
    expect(() => loadConfig([storage])).toThrow(/is not an authenticator for incoming requests/);
  });

  it('refuses to start on a non-loopback endpoint without auth even when validation was bypassed', async () => {
    const ext = new AdminExtension({ id: 'admin', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger }, { endpoint: { host: '0.0.0.0', port: 0 } } as AdminConfig);
    const g = new Gateway(loadConfig([writeConfig(`${pipeline}${service('')}`)]), { stderrLogs: false, metricsServer: false });
    await expect(ext.start({ getExtension: () => undefined, gateway: g.service.gateway })).rejects.toMatchObject({ code: 'COMPONENT_START_FAILED', message: expect.stringMatching(/extensions\.admin\.auth: required/) });
    expect(ext.port).toBe(0);
  });

  it('starts on a non-loopback endpoint with auth', async () => {
    const path = writeConfig(`${pipeline}extensions:\n  bearertokenauth: { token: t0k3n-admin }\n  admin: { endpoint: 0.0.0.0:0, auth: { authenticator: bearertokenauth } }\n${service('bearertokenauth, admin')}`);
    gateway = new Gateway(loadConfig([path]), { stderrLogs: false, metricsServer: false });
    await gateway.start();
    expect(gateway.service.status).toBe('ready');
  });

  it('takes basicauth (htpasswd) as its authenticator', async () => {
    const path = writeConfig(`${pipeline}extensions:\n  basicauth: { htpasswd: { inline: "ops:0ps-pass" } }\n  admin: { endpoint: 127.0.0.1:0, auth: { authenticator: basicauth } }\n${service('basicauth, admin')}`);
    gateway = new Gateway(loadConfig([path]), { stderrLogs: false, metricsServer: false });
    await gateway.start();
    const url = `http://127.0.0.1:${(gateway.service.getExtension('admin') as AdminExtension).port}/api/v1/status`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Basic ${Buffer.from('ops:0ps-pass').toString('base64')}` } })).status).toBe(200);
  });

  it('fails the start with COMPONENT_START_FAILED when its port is taken', async () => {
    blocker = createServer();
    const port = await new Promise<number>((r) => blocker!.listen(0, '127.0.0.1', () => r((blocker!.address() as { port: number }).port)));
    const path = writeConfig(`${pipeline}extensions:\n  admin: { endpoint: 127.0.0.1:${port} }\n${service('admin')}`);
    const g = new Gateway(loadConfig([path]), { stderrLogs: false, metricsServer: false });
    const err = await g.start().then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(err?.code).toBe('COMPONENT_START_FAILED');
    expect(err?.message).toMatch(new RegExp(`extensions\\.admin: cannot listen on 127\\.0\\.0\\.1:${port}`));
    expect(err?.message).toMatch(/EADDRINUSE/);
  });
});
