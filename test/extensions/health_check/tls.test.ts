import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthCheckExtension, healthCheckExtensionFactory } from '../../../src/extensions/health_check/factory.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { testCa } from '../../helpers/test-ca.js';

/** `health_check.tls` (the Collector's confighttp server block): probes over HTTPS, mTLS when asked. */

let ext: HealthCheckExtension | undefined;
afterEach(async () => {
  await ext?.shutdown();
  ext = undefined;
});

async function start(tls: Record<string, unknown>): Promise<HealthCheckExtension> {
  ext = healthCheckExtensionFactory.create(
    { id: 'health_check', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger },
    healthCheckExtensionFactory.schema.parse({ endpoint: '127.0.0.1:0', tls }),
  ) as HealthCheckExtension;
  await ext.start({ getExtension: () => undefined });
  ext.setStatus('ready');
  return ext;
}

describe('health_check tls', () => {
  it('answers over HTTPS with the configured certificate, and not over plain HTTP', async () => {
    const ca = await testCa();
    const dir = dirname(ca.caFile);
    const e = await start({ cert_file: join(dir, 'server.pem'), key_file: join(dir, 'server.key') });
    const agent = new Agent({ connect: { ca: readFileSync(ca.caFile) } });
    const res = await request(`https://127.0.0.1:${e.port}/`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { status: string }).status).toBe('Server available');
    await agent.close();
    await expect(fetch(`http://127.0.0.1:${e.port}/`)).rejects.toThrow();
  });

  it('with client_ca_file, refuses a probe without a client certificate and serves one with it', async () => {
    const ca = await testCa();
    const dir = dirname(ca.caFile);
    const e = await start({ cert_file: join(dir, 'server.pem'), key_file: join(dir, 'server.key'), client_ca_file: ca.caFile });
    const anonymous = new Agent({ connect: { ca: readFileSync(ca.caFile) } });
    await expect(request(`https://127.0.0.1:${e.port}/`, { dispatcher: anonymous }).then((r) => r.body.text())).rejects.toThrow();
    const withCert = new Agent({ connect: { ca: readFileSync(ca.caFile), cert: readFileSync(ca.client.certFile), key: readFileSync(ca.client.keyFile) } });
    expect((await request(`https://127.0.0.1:${e.port}/`, { dispatcher: withCert })).statusCode).toBe(200);
    await Promise.all([anonymous.close(), withCert.close()]);
  });

  it('fails start with a clear error naming the key when a TLS file cannot be read', async () => {
    await expect(start({ cert_file: '/nonexistent/cert.pem', key_file: '/nonexistent/key.pem' })).rejects.toThrow(/extensions\.health_check\.tls.*\/nonexistent\/cert\.pem/s);
  });
});
