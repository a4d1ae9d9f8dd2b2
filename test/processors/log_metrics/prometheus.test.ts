import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeMakeApi } from '../../fakes/make-api.js';
import { OtlpHttpBackend } from '../../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';
import { prometheusBinary, startPrometheus, type PrometheusServer } from './prometheus-server.js';

/**
 * Acceptance: a real Prometheus scrapes the gateway (make receiver → log_metrics preset make) and a
 * PromQL rate() over make_scenario_executions_total gives the executions per scenario and status
 * that the fake Make API produced.
 */

/** Executions per (scenario, status) before the counted ones. */
const BASE = 10;
const TOKEN = `mk-prom-${randomBytes(8).toString('hex')}`;
const binary = prometheusBinary();

let make: FakeMakeApi;
let backend: OtlpHttpBackend;
let gateway: GatewayProcess | undefined;
let prometheus: PrometheusServer | undefined;
let dir: string;

describe('log_metrics preset make, scraped by a real Prometheus', () => {
  beforeAll(async () => {
    if (!binary) return;
    make = new FakeMakeApi({ token: TOKEN, organizationId: 21, teamIds: [27] });
    await make.start();
    backend = await OtlpHttpBackend.start();
    dir = mkdtempSync(join(tmpdir(), 'mog-prom-gw-'));
    const metricsPort = await freePort();
    const config = writeConfig(
      `
receivers:
  make:
    api_token: \${env:MAKE_API_TOKEN}
    base_url: ${make.baseUrl}
    team_id: 27
    poll_interval: 1s
    initial_lookback: 1h
    requests_per_minute: 6000
processors:
  log_metrics:
    preset: make
exporters:
  otlphttp:
    endpoint: ${backend.url}
service:
  pipelines:
    logs:
      receivers: [make]
      processors: [log_metrics]
      exporters: [otlphttp]
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
`,
      dir,
    );
    gateway = await startGateway(config, { MAKE_API_TOKEN: TOKEN });
    prometheus = await startPrometheus(binary, `127.0.0.1:${metricsPort}`);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await gateway?.stop();
    await backend?.close();
    await make?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers rate(make_scenario_executions_total) per scenario and status as the fake Make API produced them', async () => {
    expect(binary, 'the Debian package prometheus is not installed and test/setup/install-deps.sh could not install it (run it as root)').toBeDefined();
    const orders = make.addScenario({ name: 'Order sync' });
    const leads = make.addScenario({ name: 'Lead import' });
    // Phase 1: BASE executions of every (scenario, status) so that every series exists in Prometheus
    // before the counted executions arrive (rate() sees increases, not a series' first value).
    // BASE well above zero keeps Prometheus from cutting the extrapolation at the counter's zero
    // point, which would scale each series differently.
    const pairs: [number, 1 | 2 | 3][] = [[orders.id, 1], [orders.id, 3], [leads.id, 1], [leads.id, 2]];
    const start = Date.now() - 30 * 60_000;
    let t = start;
    for (const [id, status] of pairs) for (let i = 0; i < BASE; i++) make.addExecution(id, { startMs: (t += 1000), status });
    const q = (promql: string) => prometheus!.query(promql);
    await vi.waitFor(async () => expect(await q('make_scenario_executions_total')).toHaveLength(4), { timeout: 60_000, interval: 500 });
    // Let Prometheus take a few samples of the starting values.
    const firstSeen = (await q('count_over_time(make_scenario_executions_total[1m])'))[0].value;
    await vi.waitFor(async () => expect((await q('count_over_time(make_scenario_executions_total[1m])'))[0].value).toBeGreaterThan(firstSeen + 2), { timeout: 30_000, interval: 500 });

    // Phase 2: the counted executions.
    const produced = new Map<string, number>([[`${orders.id}/success`, 30], [`${orders.id}/error`, 6], [`${leads.id}/success`, 12], [`${leads.id}/warning`, 3]]);
    const statusCode = { success: 1, warning: 2, error: 3 } as const;
    for (const [key, n] of produced) {
      const [id, status] = key.split('/');
      for (let i = 0; i < n; i++) make.addExecution(Number(id), { startMs: (t += 1000), status: statusCode[status as keyof typeof statusCode] });
    }
    await vi.waitFor(async () => {
      const totals = await q('sum by (scenario_id, status) (make_scenario_executions_total)');
      expect(Object.fromEntries(totals.map((r) => [`${r.metric.scenario_id}/${r.metric.status}`, r.value]))).toEqual(
        Object.fromEntries([...produced].map(([k, n]) => [k, n + BASE])),
      );
    }, { timeout: 60_000, interval: 500 });

    const rates = await q('sum by (scenario_id, status) (rate(make_scenario_executions_total[5m]))');
    const byKey = new Map(rates.map((r) => [`${r.metric.scenario_id}/${r.metric.status}`, r.value]));
    expect(new Set(byKey.keys())).toEqual(new Set(produced.keys()));
    // A scenario's executions arrive in one batch, so its series start and grow in the same
    // scrapes and rate() scales their increases by one factor: within a scenario, the rates stand
    // exactly in the ratio of the produced executions. Across scenarios the samples may fall a
    // scrape apart, so there the check is looser.
    const rate = (key: string) => byKey.get(key)!;
    expect(rate(`${orders.id}/success`) / rate(`${orders.id}/error`)).toBeCloseTo(30 / 6, 3);
    expect(rate(`${leads.id}/success`) / rate(`${leads.id}/warning`)).toBeCloseTo(12 / 3, 3);
    const ordersRate = rate(`${orders.id}/success`) + rate(`${orders.id}/error`);
    const leadsRate = rate(`${leads.id}/success`) + rate(`${leads.id}/warning`);
    expect(ordersRate / leadsRate).toBeGreaterThan((36 / 15) * 0.8);
    expect(ordersRate / leadsRate).toBeLessThan((36 / 15) * 1.25);
    // The gateway's own scenario name label reaches Prometheus too.
    const named = await q(`sum by (scenario_name) (rate(make_scenario_executions_total{scenario_id="${orders.id}"}[5m]))`);
    expect(named.map((r) => r.metric.scenario_name)).toEqual(['Order sync']);
  });
});
