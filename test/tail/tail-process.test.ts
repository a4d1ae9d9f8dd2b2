import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { runCli, startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';

/** The built gateway with the admin extension: the tail over HTTP and through the CLI. */
const TOKEN = 'tail-process-token-51d2';

describe('live tail of a running gateway', () => {
  let gateway: GatewayProcess;
  let sink: Server;
  let otlpPort: number;
  let admin: string;
  let config: string;

  beforeAll(async () => {
    sink = createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()));
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    otlpPort = await freePort();
    const adminPort = await freePort();
    admin = `http://127.0.0.1:${adminPort}`;
    config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
processors:
  attributes/mark:
    actions:
      - { key: marked, value: yes, action: insert }
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${(sink.address() as AddressInfo).port}
    compression: none
extensions:
  bearertokenauth:
    token: ${TOKEN}
  admin:
    endpoint: 127.0.0.1:${adminPort}
    auth:
      authenticator: bearertokenauth
service:
  extensions: [bearertokenauth, admin]
  pipelines:
    logs:
      receivers: [otlp]
      processors: [attributes/mark]
      exporters: [otlphttp]
  telemetry:
    metrics:
      level: none
`);
    gateway = await startGateway(config);
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await new Promise((r) => sink?.close(r));
  });

  async function send(n: number, from: number): Promise<void> {
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${otlpPort}/v1/logs` }) })] });
    const logger = provider.getLogger('tail-test');
    for (let i = from; i < from + n; i++) logger.emit({ body: `record ${i}`, attributes: { n: i } });
    await provider.forceFlush();
    await provider.shutdown();
  }

  it('is refused without the token and answers a bad where with 400 and its column', async () => {
    expect((await fetch(`${admin}/api/v1/tail`)).status).toBe(401);
    const res = await fetch(`${admin}/api/v1/tail?where=${encodeURIComponent('attributes["n"] >>= 3')}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { column?: number } };
    expect(body.error.column).toBeGreaterThan(0);
  });

  it('tails with the CLI: JSON lines matching --where, after the chosen processor, ending at --limit', async () => {
    const cli = runCli(['tail', '--config', config, '--where', 'attributes["n"] >= 3', '--processor', 'attributes/mark', '--limit', '2']);
    let done = false;
    void cli.then(() => (done = true));
    for (let i = 0; !done; i += 5) {
      await send(5, i);
      await new Promise((r) => setTimeout(r, 100));
    }
    const { code, stdout, stderr } = await cli;
    expect(stderr).toContain('limit of 2 records reached');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { attributes: { n: number; marked: string } });
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l.attributes.n).toBeGreaterThanOrEqual(3);
      expect(l.attributes.marked).toBe('yes');
    }
    expect(stdout).not.toContain(TOKEN);
  }, 60_000);
});
