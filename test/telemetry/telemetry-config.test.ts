import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { Gateway } from '../../src/gateway.js';
import { defaultRegistry } from '../../src/registry.js';

/** service.telemetry keys real Collector configs carry: honoured, not just accepted. */

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanup.length) await cleanup.pop()!();
});

function gateway(telemetry: string): Gateway {
  const yaml = `
receivers: { otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } } }
exporters: { debug: { verbosity: basic } }
service:
  pipelines: { logs: { receivers: [otlp], exporters: [debug] } }
  telemetry:
${telemetry}`;
  return new Gateway(validateConfig(parseConfigText(yaml, 'telemetry.yaml'), defaultRegistry));
}

describe('service.telemetry', () => {
  it('logs.encoding json writes one JSON object per line, with initial_fields on every line', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const gw = gateway('    metrics: { level: none }\n    logs: { encoding: json, initial_fields: { deployment: eu-prod, replica: 2 } }\n');
    await gw.start();
    await gw.shutdown();
    vi.restoreAllMocks();
    const parsed = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.length).toBeGreaterThan(0);
    expect(parsed.length).toBe(lines.length);
    for (const p of parsed) expect(p).toMatchObject({ level: expect.any(String), ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), msg: expect.any(String), deployment: 'eu-prod', replica: 2 });
    expect(parsed.some((p) => /ready/.test(String(p.msg)))).toBe(true);
  });

  it('metrics.readers periodic pushes the gateway\'s own metrics as OTLP/JSON, and pull without_scope_info is accepted', async () => {
    const bodies: { resourceMetrics: { scopeMetrics: { metrics: { name: string; sum?: unknown; gauge?: unknown }[] }[] }[] }[] = [];
    const headers: string[] = [];
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      headers.push(String(req.headers['x-tenant']));
      if (req.url === '/v1/metrics' && req.headers['content-type'] === 'application/json') bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => server.close(r)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`;
    const gw = gateway(`    logs: { level: error }
    metrics:
      readers:
        - periodic: { interval: 200, exporter: { otlp: { protocol: http/json, endpoint: "${url}", headers: { x-tenant: ops } } } }
        - pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0, without_scope_info: true } } }
`);
    await gw.start();
    cleanup.push(() => gw.shutdown());
    for (let i = 0; i < 100 && bodies.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    const metrics = bodies[0]!.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    const byName = new Map(metrics.map((m) => [m.name, m]));
    expect(byName.get('otelcol_receiver_accepted_log_records')?.sum).toMatchObject({ isMonotonic: true, aggregationTemporality: 2 });
    expect(byName.get('otelcol_process_uptime')?.gauge).toBeDefined();
    expect(headers.every((h) => h === 'ops')).toBe(true);
    expect(gw.metricsPort).toBeGreaterThan(0);
  });
});
