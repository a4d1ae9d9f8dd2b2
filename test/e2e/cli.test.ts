import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli, writeConfig } from '../helpers/gateway-process.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('the make-otel-gateway CLI', () => {
  it('prints its version and its usage', async () => {
    expect((await runCli(['--version'])).stdout).toBe(`make-otel-gateway ${pkg.version}\n`);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/validate --config FILE/);
  });

  it('lists the component types it ships', async () => {
    const r = await runCli(['components']);
    expect(r.code).toBe(0);
    const line = (kind: string) => (new RegExp(`^${kind}: (.*)$`, 'm').exec(r.stdout)?.[1] ?? '').split(', ');
    expect(line('receivers')).toEqual(expect.arrayContaining(['make', 'otlp']));
    expect(line('exporters')).toEqual(expect.arrayContaining(['awscloudwatchlogs', 'azure_logs_ingestion', 'datadog', 'elasticsearch', 'googlecloud', 'newrelic', 'otlphttp', 'splunk_hec']));
    expect(line('extensions')).toEqual(expect.arrayContaining(['basicauth', 'bearertokenauth', 'file_storage', 'headers_setter', 'health_check', 'oauth2client']));
  });

  it('exits 2 on a usage error: unknown command or missing --config', async () => {
    const unknown = await runCli(['frobnicate', '--config', 'x.yaml']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    const missing = await runCli([]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing --config FILE/);
  });

  it('validates the shipped otel-config.yaml', async () => {
    const r = await runCli(['validate', '--config', 'otel-config.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/configuration is valid/);
  });

  it('lists every config problem with its key path and exits 1', async () => {
    const p = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:4318
exporters:
  otlphttp:
    endpont: http://x
    timeout: 5 seconds
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp]
`);
    const r = await runCli(['validate', '--config', p]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exporters\.otlphttp\.endpont: unknown key \(did you mean "endpoint"\?\)/);
    expect(r.stderr).toMatch(/exporters\.otlphttp\.timeout: expected a duration like "5s", got "5 seconds"/);
    expect(r.stderr).toMatch(/service\.pipelines\.logs\.processors\[0\]: processor "batch" is not defined under processors/);
  });

  it('never prints secrets in validate output or errors', async () => {
    const secret = 'nr-license-key-0123456789abcdef';
    const p = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
exporters:
  newrelic:
    api_key: \${env:NR_KEY}
  otlphttp:
    endpoint: http://127.0.0.1:1
    headers:
      authorization: Bearer \${env:NR_KEY}
    timeout: soon
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [newrelic, otlphttp]
`);
    const r = await runCli(['validate', '--config', p], { NR_KEY: secret });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exporters\.otlphttp\.timeout/);
    expect(r.stdout + r.stderr).not.toContain(secret);
    const ok = await runCli(['validate', '--config', p.replace(/$/, '')], { NR_KEY: secret });
    expect(ok.stdout + ok.stderr).not.toContain(secret);
  });

  it('reads an undefined environment variable as empty, as the Collector does, and warns where it is used', async () => {
    const p = writeConfig('exporters:\n  debug:\n    verbosity: ${env:VERBOSITY}\n');
    const r = await runCli(['validate', '--config', p], { VERBOSITY: undefined });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exporters\.debug\.verbosity: environment variable VERBOSITY is not set; using an empty string/);
  });

  it('takes --config from file:, env: and yaml: sources and --set overrides, as the Collector does', async () => {
    const base = writeConfig('receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:0\nexporters:\n  debug:\nservice:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [debug]\n');
    const extra = 'processors:\n  batch:\n    timeout: 1s\n';
    const r = await runCli(
      ['validate', `--config=file:${base}`, '--config=env:EXTRA_CONFIG', '--config=yaml:processors::batch::send_batch_size: 5_000', '--set=service::pipelines::logs::processors=[batch]'],
      { EXTRA_CONFIG: extra },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pipeline logs: receivers \[otlp\] → processors \[batch\] → exporters \[debug\]/);
  });

  it('fails to start with exit 1 and a clear message when a port is taken', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const p = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${port}
exporters:
  debug:
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [debug]
  telemetry:
    metrics:
      level: none
`);
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('../helpers/gateway-process.js');
    const child = spawn(process.execPath, [CLI, '--config', p], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => child.on('exit', r));
    blocker.close();
    expect(code).toBe(1);
    expect(stderr).toMatch(/receiver otlp failed to start/);
    expect(stderr).toMatch(/COMPONENT_START_FAILED/);
  });
});
