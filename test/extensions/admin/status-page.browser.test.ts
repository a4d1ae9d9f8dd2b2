import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { startGateway, writeConfig, type GatewayProcess } from '../../helpers/gateway-process.js';

/**
 * Acceptance 4 of issue 21: the status page in a real browser (playwright-core driving Debian's
 * chromium, installed by test/setup/install-deps.sh). Screenshots go to test-results/ (not
 * committed); MOG_UPDATE_DOCS_SCREENSHOT=1 also writes docs/status-page.png for the README.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '../../..');
const RESULTS = join(ROOT, 'test-results');
const TOKEN = 'status-page-test-token-7f3a';
const missing = !existsSync(CHROMIUM) ? `chromium not found at ${CHROMIUM} (install the Debian package "chromium", see test/setup/debian-packages.txt)` : undefined;
if (missing) console.warn(`status page browser test skipped: ${missing}`);

/** An OTLP/HTTP backend that refuses every request with 400 (permanent) until told to accept. */
function backend() {
  const state = { accept: false, bodies: [] as string[], server: undefined as unknown as Server };
  state.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url !== '/v1/logs' || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      if (!state.accept) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('refused: schema not accepted yet');
        return;
      }
      state.bodies.push(Buffer.concat(chunks).toString('latin1'));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  return state;
}

async function send(port: number, bodies: string[]): Promise<void> {
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${port}/v1/logs` }) })] });
  const logger = provider.getLogger('status-page-test');
  for (const body of bodies) logger.emit({ body, severityText: 'INFO', severityNumber: 9 });
  await provider.forceFlush();
  await provider.shutdown();
}

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(missing !== undefined)('status page in a browser', () => {
  const sink = backend();
  let gateway: GatewayProcess;
  let otlpPort: number;
  let adminUrl: string;

  beforeAll(async () => {
    await new Promise<void>((r) => sink.server.listen(0, '127.0.0.1', r));
    const sinkPort = (sink.server.address() as AddressInfo).port;
    otlpPort = await freePort();
    const adminPort = await freePort();
    adminUrl = `http://127.0.0.1:${adminPort}`;
    const dir = mkdtempSync(join(tmpdir(), 'mog-status-page-'));
    gateway = await startGateway(writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${sinkPort}
    compression: none
    retry_on_failure:
      initial_interval: 100ms
    sending_queue:
      storage: file_storage
extensions:
  file_storage:
    directory: ${dir}
  bearertokenauth:
    token: ${TOKEN}
  admin:
    endpoint: 127.0.0.1:${adminPort}
    auth:
      authenticator: bearertokenauth
service:
  extensions: [file_storage, bearertokenauth, admin]
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp]
  telemetry:
    metrics:
      level: none
`));
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await new Promise((r) => sink.server.close(r));
  });

  it('logs in, shows the pipeline and a chart with data, tails records, and replays a dead letter by clicking', async () => {
    const { chromium } = await import('playwright-core');
    mkdirSync(RESULTS, { recursive: true });
    // The backend refuses: these records become a dead letter.
    await send(otlpPort, ['refused-then-replayed record']);
    const auth = { authorization: `Bearer ${TOKEN}` };
    await until(async () => {
      const r = await fetch(`${adminUrl}/api/v1/exporters/otlphttp/dead-letters`, { headers: auth });
      const b = (await r.json()) as { deadLetters?: unknown[] };
      return (b.deadLetters?.length ?? 0) > 0 || undefined;
    }, 'a dead letter');
    // The backend is fixed; traffic flows so the throughput chart has something to show.
    sink.accept = true;
    await send(otlpPort, Array.from({ length: 50 }, (_, i) => `steady record ${i}`));

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
      const foreign: string[] = [];
      page.on('request', (req) => {
        if (!req.url().startsWith(adminUrl)) foreign.push(req.url());
      });
      await page.goto(`${adminUrl}/`);
      await page.locator('#login').waitFor({ state: 'visible' });
      await page.fill('#token', TOKEN);
      await page.click('#login button[type=submit]');

      const pipeline = page.locator('[data-pipeline="logs"]');
      await pipeline.waitFor();
      expect(await pipeline.locator('[data-kind="receiver"]').getAttribute('data-id')).toBe('otlp');
      expect(await pipeline.locator('[data-kind="exporter"]').getAttribute('data-id')).toBe('otlphttp');

      // Rolling series are sampled every 5 s: keep traffic going until the chart shows sent records.
      const chart = page.locator('.chart[data-exporter="otlphttp"]');
      await until(async () => {
        await send(otlpPort, ['chart traffic']);
        const total = Number((await chart.getAttribute('data-total').catch(() => null)) ?? 0);
        return total > 0 || undefined;
      }, 'a chart with non-zero data', 90_000);

      // The live tail panel shows records as they arrive.
      await page.click('#tail-toggle');
      await page.locator('#tail-status', { hasText: 'tailing' }).waitFor();
      await send(otlpPort, ['seen in the live tail']);
      await page.locator('#tail-output', { hasText: 'seen in the live tail' }).waitFor();

      if (process.env.MOG_UPDATE_DOCS_SCREENSHOT === '1') {
        // For the README: half a minute of varied traffic, so the chart has a shape.
        for (let i = 0; i < 30; i++) {
          await send(otlpPort, Array.from({ length: 20 + ((i * 37) % 90) }, (_, j) => `docs record ${i}.${j}`));
          await new Promise((r) => setTimeout(r, 1000));
        }
        await page.waitForTimeout(5500);
        await page.screenshot({ path: join(ROOT, 'docs/status-page.png'), fullPage: true });
      }
      await page.screenshot({ path: join(RESULTS, 'status-page.png'), fullPage: true });

      // Replay by clicking: the dead letter reaches the (now fixed) backend without a restart.
      const dl = page.locator('[data-exporter-dl="otlphttp"]');
      await dl.locator('tr[data-dead-letter]').first().waitFor();
      await dl.locator('button[data-action="replay"]').click();
      await until(() => sink.bodies.some((b) => b.includes('refused-then-replayed record')) || undefined, 'the replayed record at the backend');
      await until(async () => ((await dl.locator('tr[data-dead-letter]').count()) === 0 ? true : undefined), 'the dead letter gone from the page');
      await page.screenshot({ path: join(RESULTS, 'status-page-after-replay.png'), fullPage: true });
      expect(foreign).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
