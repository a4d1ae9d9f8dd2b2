import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { startGateway, writeConfig, type GatewayProcess } from '../../helpers/gateway-process.js';

/**
 * CORS on OTLP/HTTP (confighttp's `cors` keys) in a real browser: playwright-core drives Debian's
 * chromium (installed by test/setup/install-deps.sh). A page served from an allowed origin posts
 * OTLP/JSON to the gateway and reads the answer, refusals included; the same page served from an
 * origin the config does not allow is blocked by the browser.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM) ? `chromium not found at ${CHROMIUM} (install the Debian package "chromium", see test/setup/debian-packages.txt)` : undefined;
if (missing) console.warn(`CORS browser test skipped: ${missing}`);

let page: Server;
let pagePort: number;
let gateway: GatewayProcess;
let otlpPort: number;

beforeAll(async () => {
  page = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>'));
  await new Promise<void>((r) => page.listen(0, '127.0.0.1', () => r()));
  pagePort = (page.address() as AddressInfo).port;
  otlpPort = await freePort();
  gateway = await startGateway(
    writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
        cors:
          allowed_origins: ["http://127.0.0.1:${pagePort}"]
          allowed_headers: [X-Tenant]
          max_age: 60
exporters:
  nop:
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [nop] }
`),
  );
});

afterAll(async () => {
  await gateway?.stop();
  await new Promise((r) => page?.close(r));
});

describe.skipIf(missing !== undefined)('OTLP/HTTP CORS in a browser', () => {
  it('lets a page from an allowed origin post OTLP/JSON and read every answer, and the browser blocks a page from any other origin', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const tab = await browser.newPage();
      const post = (body: string) =>
        tab.evaluate(
          async ([url, b]) => {
            try {
              const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant': 'acme' }, body: b });
              return `${r.status} ${await r.text()}`;
            } catch (err) {
              return `blocked: ${(err as Error).name}`;
            }
          },
          [`http://127.0.0.1:${otlpPort}/v1/logs`, body] as const,
        );
      const record = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'from the browser' } }] }] }] });

      await tab.goto(`http://127.0.0.1:${pagePort}/`);
      expect(await post(record)).toBe('200 {}');
      expect(await post('{"resourceLogs": 5}')).toMatch(/^400 \{"code":3,"message":"invalid OTLP\/JSON/);

      // Same page, another origin (the host name differs): the preflight gets no allowing headers.
      await tab.goto(`http://localhost:${pagePort}/`);
      expect(await post(record)).toBe('blocked: TypeError');
    } finally {
      await browser.close();
    }
  }, 60_000);
});
