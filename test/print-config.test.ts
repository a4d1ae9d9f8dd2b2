import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, writeConfig } from './helpers/gateway-process.js';

/**
 * `print-config` (the Collector's `otelcol print-config`): the resolved configuration, secrets
 * shown as [REDACTED] in every form, whatever their key is called; `--mode unredacted` shows them.
 */

const DD_KEY = 'dd0123456789abcdef0123456789abcd';
const PROXY_PASSWORD = 'pr0xy-Secret-99';
const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
exporters:
  datadog:
    api:
      key: \${env:DD_API_KEY}
      site: datadoghq.eu
  otlphttp:
    endpoint: https://collector.example.com:4318
    proxy_url: http://gw:${PROXY_PASSWORD}@proxy.example.com:3128
    headers:
      X-Tenant: team-a
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [datadog, otlphttp]
`);

describe('print-config', () => {
  it('prints the resolved config with env expanded, --set applied and every secret as [REDACTED]', async () => {
    const r = await runCli(['print-config', '--config', config, '--set', 'exporters::datadog::api::site=us5.datadoghq.com'], { DD_API_KEY: DD_KEY });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(DD_KEY);
    expect(r.stdout).not.toContain(PROXY_PASSWORD);
    const printed = parse(r.stdout) as { exporters: { datadog: { api: { key: string; site: string } }; otlphttp: { proxy_url: string; headers: Record<string, string> } } };
    expect(printed.exporters.datadog.api).toEqual({ key: '[REDACTED]', site: 'us5.datadoghq.com' });
    expect(printed.exporters.otlphttp.proxy_url).toBe('http://[REDACTED]@proxy.example.com:3128');
    // Header values are credentials as often as not: the gateway treats them all as secrets.
    expect(printed.exporters.otlphttp.headers['X-Tenant']).toBe('[REDACTED]');
  });

  it('shows secrets with --mode unredacted, prints JSON with --format json', async () => {
    const r = await runCli(['print-config', '--config', config, '--mode', 'unredacted', '--format', 'json'], { DD_API_KEY: DD_KEY });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { exporters: { datadog: { api: { key: string } } } }).exporters.datadog.api.key).toBe(DD_KEY);
  });

  it('refuses an invalid config (exit 1, the validate report) and bad flags (exit 2)', async () => {
    const bad = writeConfig('receivers:\n  otlp:\n    protocols: {http: {endpoint: "nope"}}\nexporters:\n  debug: {}\nservice:\n  pipelines:\n    logs: {receivers: [otlp], exporters: [debug]}\n');
    const invalid = await runCli(['print-config', '--config', bad]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/expected host:port/);
    expect((await runCli(['print-config', '--config', config, '--mode', 'plain'])).code).toBe(2);
  });
});
