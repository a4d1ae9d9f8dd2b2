import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { freePort } from '../helpers/ports.js';
import { CLI, GatewayProcess, numbered, postLogs, queueCli, writeGatewayConfig } from './delivery-harness.js';

/**
 * A stage log segment damaged while the gateway was down after kill -9 (a flipped header byte in
 * the middle of it): the built gateway starts, delivers every record it can verify, and reports
 * the rest three ways a user sees: a log line naming the file and offset, the
 * gateway_queue_corrupt_records_total metric, and a dead-letter entry `queue dead-letter list`
 * shows. Before, the scan stopped at the damaged header and dropped everything after it silently.
 */

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
});

describe('stage log damage at process level', () => {
  it('recovers past a damaged header after kill -9, and reports what it lost in the log, the metrics and the dead-letter store', async () => {
    const backend = await OtlpHttpBackend.start();
    cleanup.push(() => backend.close());
    await backend.goDown('unavailable');
    const metricsPort = await freePort();
    const setup = await writeGatewayConfig(backend.url, { metricsPort });
    cleanup.push(() => setup.cleanup());
    const gw = await GatewayProcess.start(setup);
    cleanup.push(() => gw.stop());

    // 60 one-record requests, quickly: all still in the stage log (younger than 2 s) at the kill.
    const acked: string[] = [];
    for (let i = 0; i < 60; i++) if ((await postLogs(setup.receiverPort, numbered(i, 1))).status === 200) acked.push(`seq-${i}`);
    expect(acked).toHaveLength(60);
    await gw.kill('SIGKILL');

    // Flip one byte in the header of the 30th record of the segment holding them.
    const stage = join(setup.storageDir, 'gateway-queue.stage');
    const segment = readdirSync(stage)
      .filter((f) => f.endsWith('.seg'))
      .map((f) => join(stage, f))
      .find((f) => readFileSync(f).includes(Buffer.from('seq-0')))!;
    const bytes = readFileSync(segment);
    const headers: number[] = [];
    for (let at = bytes.indexOf('MGS2'); at >= 0; at = bytes.indexOf('MGS2', at + 1)) headers.push(at);
    const damagedAt = headers[30]!;
    bytes[damagedAt + 5] ^= 0xff; // its generation
    writeFileSync(segment, bytes);

    await backend.comeUp();
    const gw2 = await GatewayProcess.start(setup);
    cleanup.push(() => gw2.stop());
    // The damaged record is lost unless it had moved into the table before the kill (older than 2 s
    // on a slow machine); every other one arrives.
    for (const deadline = Date.now() + 60_000; backend.recordCount() < 59 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
    const received = new Set(backend.records().map((r) => r.body?.stringValue));
    const lost = acked.filter((id) => !received.has(id));
    expect(lost.length).toBeLessThanOrEqual(1);
    // And if one is lost, it is the one whose header was damaged.
    for (const id of lost) expect(bytes.indexOf(id, damagedAt)).toBeLessThan(headers[31] ?? bytes.length);

    const stderr = gw2.stderr.join('');
    expect(stderr).toContain('stage log damaged');
    expect(stderr).toContain(segment);
    expect(stderr).toContain(String(damagedAt));
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/gateway_queue_corrupt_records_total\{[^}]*exporter="otlphttp"[^}]*\} 1/);
    expect((await gw2.stop()).code).toBe(0);

    const list = await queueCli(setup, ['dead-letter', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('dead_letter_requests=1');
    expect(list.stdout).toMatch(/could not be verified; 1 request\(s\) lost/);
  }, 180_000);
});
