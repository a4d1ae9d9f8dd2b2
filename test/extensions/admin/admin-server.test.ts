import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { adminConfigSchema } from '../../../src/extensions/admin/config.js';
import { AdminExtension } from '../../../src/extensions/admin/extension.js';
import { Gateway, loadConfig } from '../../../src/gateway.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { testCa } from '../../helpers/test-ca.js';
import { writeConfig } from '../../helpers/gateway-process.js';

/** The admin server's listener: `tls` as on every server, `cors` for browsers, shutdown. */
let ext: AdminExtension | undefined;
afterEach(async () => {
  await ext?.shutdown();
  ext = undefined;
});

async function start(raw: Record<string, unknown>): Promise<AdminExtension> {
  const g = new Gateway(
    loadConfig([writeConfig('receivers:\n  otlp:\n    protocols:\n      http: { endpoint: 127.0.0.1:0 }\nexporters:\n  debug: {}\nservice:\n  pipelines:\n    logs: { receivers: [otlp], exporters: [debug] }\n')]),
    { stderrLogs: false, metricsServer: false },
  );
  ext = new AdminExtension({ id: 'admin', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger }, adminConfigSchema.parse({ endpoint: '127.0.0.1:0', ...raw }));
  await ext.start({ getExtension: () => undefined, gateway: g.service.gateway });
  return ext;
}

describe('admin server', () => {
  it('serves the API over HTTPS with the configured certificate, and not over plain HTTP', async () => {
    const ca = await testCa();
    const dir = dirname(ca.caFile);
    const e = await start({ tls: { cert_file: join(dir, 'server.pem'), key_file: join(dir, 'server.key') } });
    const agent = new Agent({ connect: { ca: readFileSync(ca.caFile) } });
    const res = await request(`https://127.0.0.1:${e.port}/api/v1/status`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { pipelines: unknown[] }).pipelines).toHaveLength(1);
    await agent.close();
    await expect(fetch(`http://127.0.0.1:${e.port}/api/v1/status`)).rejects.toThrow();
  });

  it('answers a browser preflight from an allowed origin, and gives no CORS headers to others', async () => {
    const e = await start({ cors: { allowed_origins: ['https://ops.example'], allowed_headers: ['X-Trace'], max_age: 600 } });
    const preflight = await fetch(`http://127.0.0.1:${e.port}/api/v1/status`, {
      method: 'OPTIONS',
      headers: { origin: 'https://ops.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,x-trace' },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://ops.example');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-trace');
    expect(preflight.headers.get('access-control-max-age')).toBe('600');
    const other = await fetch(`http://127.0.0.1:${e.port}/api/v1/status`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('matches origins by the same rule as the OTLP/HTTP receiver: one * inside matches a host part', async () => {
    const e = await start({ cors: { allowed_origins: ['https://*.ops.example'] } });
    const from = (origin: string) => fetch(`http://127.0.0.1:${e.port}/api/v1/status`, { headers: { origin } });
    expect((await from('https://eu.ops.example')).headers.get('access-control-allow-origin')).toBe('https://eu.ops.example');
    expect((await from('https://ops.example.evil')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('stops listening at shutdown', async () => {
    const e = await start({});
    const port = e.port;
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/status`)).status).toBe(200);
    await e.shutdown();
    await expect(fetch(`http://127.0.0.1:${port}/api/v1/status`)).rejects.toThrow();
  });
});
