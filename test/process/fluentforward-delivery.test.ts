import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FluentForwardClient } from '../fakes/fluent-forward-client.js';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Fluent Bit's `forward` output (the strict fake from the spec) into the built gateway: every
 * chunk is acked only once it is in the durable queue, and the backend gets every record, with the
 * tag as `fluent.tag` — also for chunks acked while the backend was down.
 */

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('fluentforward receiver, built gateway', () => {
  it('acks each chunk after the durable commit and delivers every record, through a backend outage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluentforward-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const backend = await OtlpHttpBackend.start();
    cleanup.push(() => backend.close());
    await backend.goDown('unavailable');
    const port = await freePort();
    const config = writeConfig(
      `receivers:
  fluentforward: { endpoint: 127.0.0.1:${port} }
exporters:
  otlphttp:
    endpoint: ${backend.url}
    sending_queue: { storage: file_storage }
    retry_on_failure: { initial_interval: 50ms, max_interval: 100ms, max_elapsed_time: 0 }
extensions:
  file_storage: { directory: ${join(dir, 'storage')} }
service:
  extensions: [file_storage]
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [fluentforward], exporters: [otlphttp] }
`,
      dir,
    );
    let gw = await startGateway(config);
    cleanup.push(() => gw.kill9());
    const client = await FluentForwardClient.connect(port);
    for (let i = 0; i < 20; i++) {
      await client.packedForward('app.web', Array.from({ length: 50 }, (_, j) => [{ seconds: 1_700_000_000 + i, nanoseconds: j }, { log: `r-${i}-${j}` }] as [{ seconds: number; nanoseconds: number }, Record<string, unknown>]));
    }
    client.close();
    expect(client.protocolErrors).toEqual([]);
    // Acked means committed: a kill -9 now loses nothing.
    await gw.kill9();
    await backend.comeUp();
    gw = await startGateway(config);
    await backend.waitForRecords(1000, 60_000);
    const bodies = new Set(backend.records().map((r) => r.body?.stringValue));
    expect(bodies.size).toBe(1000);
    expect(backend.records()[0]!.attributes.find((a) => a.key === 'fluent.tag')?.value?.stringValue).toBe('app.web');
    await gw.stop();
  }, 120_000);
});
