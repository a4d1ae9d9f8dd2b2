import { afterEach, describe, expect, it } from 'vitest';
import { HealthCheckExtension, healthCheckExtensionFactory } from '../../../src/extensions/health_check/factory.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

let ext: HealthCheckExtension | undefined;
afterEach(async () => {
  await ext?.shutdown();
  ext = undefined;
});

async function startExt(raw: Record<string, unknown> = {}) {
  ext = healthCheckExtensionFactory.create(
    { id: 'health_check', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger },
    healthCheckExtensionFactory.schema.parse({ endpoint: '127.0.0.1:0', ...raw }),
  ) as HealthCheckExtension;
  await ext.start({ getExtension: () => undefined });
  return ext;
}

const get = (e: HealthCheckExtension, p = '/') => fetch(`http://127.0.0.1:${e.port}${p}`);

describe('health_check extension', () => {
  it('uses the Collector defaults', () => {
    expect(healthCheckExtensionFactory.schema.parse({})).toMatchObject({ endpoint: { host: '0.0.0.0', port: 13133 }, path: '/' });
    expect(healthCheckExtensionFactory.schema.parse({ check_collector_pipeline: { enabled: true } }).check_collector_pipeline?.enabled).toBe(true);
    expect(healthCheckExtensionFactory.schema.safeParse({ pth: '/x' }).success).toBe(false);
  });

  it('answers 503 while starting, 200 when ready, 503 again while stopping', async () => {
    const e = await startExt();
    const starting = await get(e);
    expect(starting.status).toBe(503);
    expect(await starting.json()).toMatchObject({ status: 'Server not available' });
    e.setStatus('ready');
    const ready = await get(e);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; upSince: string };
    expect(body.status).toBe('Server available');
    expect(Date.parse(body.upSince)).not.toBeNaN();
    e.setStatus('stopping');
    expect((await get(e)).status).toBe(503);
  });

  it('serves the configured path only', async () => {
    const e = await startExt({ path: '/health/status' });
    e.setStatus('ready');
    expect((await get(e, '/health/status')).status).toBe(200);
    expect((await get(e, '/health/status?verbose=1')).status).toBe(200);
    expect((await get(e, '/')).status).toBe(404);
  });

  it('returns the configured response bodies', async () => {
    const e = await startExt({ response_body: { healthy: 'OK', unhealthy: 'NOPE' } });
    expect(await (await get(e)).text()).toBe('NOPE');
    e.setStatus('ready');
    expect(await (await get(e)).text()).toBe('OK');
  });

  it('fails to start with a clear error when the port is taken', async () => {
    const first = await startExt();
    const second = healthCheckExtensionFactory.create(
      { id: 'health_check/2', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger },
      healthCheckExtensionFactory.schema.parse({ endpoint: `127.0.0.1:${first.port}` }),
    );
    await expect(second.start({ getExtension: () => undefined })).rejects.toMatchObject({ code: 'COMPONENT_START_FAILED' });
  });

  it('shuts down idempotently', async () => {
    const e = await startExt();
    await e.shutdown();
    await e.shutdown();
    expect(e.status).toBe('stopping');
  });
});
