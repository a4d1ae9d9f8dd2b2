import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 15, item 2: with in-memory queues the `batch` processor still holds replies up to its
 * timeout; `validate` and the start warn when that is above 5 s (docs/delivery.md).
 */
let gateway: GatewayProcess | undefined;
afterEach(async () => {
  // Whatever happened in the test, leave no process behind.
  await gateway?.kill9();
  gateway = undefined;
});

describe('batch timeout warning, from the command line', () => {
  it('warns at validate and at start when a batch processor holds replies longer than 5 s before an in-memory queue', async () => {
    const path = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${await freePort()}
processors:
  batch:
    timeout: 10s
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:1
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp]
`);
    const validated = await runCli(['validate', '--config', path]);
    expect(validated.code).toBe(0);
    expect(validated.stderr).toMatch(/^warning: service\.pipelines\.logs: processor batch holds each client's reply for up to its timeout \(10s\)/m);
    gateway = await startGateway(path);
    expect(gateway.stderr()).toMatch(/ warn service\.pipelines\.logs: processor batch holds/);
    expect(await gateway.stop()).toBe(0);
  });

  it('does not warn when batching happens behind persistent queues, and says so at start', async () => {
    const dir = writeConfig('');
    const path = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${await freePort()}
processors:
  batch:
    timeout: 60s
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:1
    sending_queue:
      storage: file_storage
extensions:
  file_storage:
    directory: ${dir.replace(/config\.yaml$/, 'queue')}
service:
  extensions: [file_storage]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp]
`);
    const validated = await runCli(['validate', '--config', path]);
    expect(validated.code).toBe(0);
    expect(validated.stderr).not.toContain('warning');
    gateway = await startGateway(path);
    expect(gateway.stderr()).toContain('batching happens behind the persistent sending queues');
    expect(gateway.stderr()).not.toMatch(/ warn /);
    expect(await gateway.stop()).toBe(0);
  });
});
