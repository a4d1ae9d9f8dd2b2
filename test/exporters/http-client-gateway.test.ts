import { afterEach, describe, expect, it } from 'vitest';
import { startConnectProxy, type ConnectProxy } from '../fakes/connect-proxy.js';
import { startDatadogIntake, type DatadogIntake } from '../fakes/datadog-intake.js';
import { startScriptedProxy, type ScriptedProxy } from '../fakes/scripted-proxy.js';
import { runCli, startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';
import { testCa } from '../helpers/test-ca.js';

/**
 * The exporters' `tls` and `proxy_url` in the built gateway (dist/cli.js; `npm run build` first):
 * a log sent to the OTLP receiver reaches an https backend whose certificate a private CA signed,
 * through an authenticating CONNECT proxy, and the proxy password appears in none of the gateway's
 * output; an unreadable `tls.ca_file` stops the gateway before it starts, naming the key.
 */

const DD_KEY = 'dd-gateway-tls-key-0123456789abcdef';
const PROXY_PASSWORD = 'egress-pa55word-0987';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function config(httpPort: number, datadog: string): string {
  return writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
exporters:
  datadog:
    api: { key: ${DD_KEY} }
${datadog}
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [datadog]
  telemetry: { metrics: { level: none } }
`);
}

describe('exporter tls and proxy_url in the gateway', () => {
  it('delivers to an https backend signed by tls.ca_file, through proxy_url, and never prints the proxy password', async () => {
    const ca = await testCa();
    const intake: DatadogIntake = await startDatadogIntake({ apiKey: DD_KEY });
    cleanup.push(() => intake.close());
    const backend: ScriptedProxy = await startScriptedProxy(intake.url, { tls: ca.server });
    cleanup.push(() => backend.close());
    const egress: ConnectProxy = await startConnectProxy({ credentials: { user: 'gw', password: PROXY_PASSWORD } });
    cleanup.push(() => egress.close());
    const httpPort = await freePort();
    const path = config(
      httpPort,
      `    logs: { endpoint: ${backend.url} }
    tls: { ca_file: ${ca.caFile} }
    proxy_url: http://gw:${PROXY_PASSWORD}@${new URL(egress.url).host}`,
    );
    const validated = await runCli(['validate', '--config', path]);
    expect(validated.code).toBe(0);
    expect(validated.stdout + validated.stderr).not.toContain(PROXY_PASSWORD);

    const gateway: GatewayProcess = await startGateway(path);
    cleanup.push(() => gateway.stop());
    const res = await fetch(`http://127.0.0.1:${httpPort}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceLogs: [{ resource: {}, scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), body: { stringValue: 'over tls via proxy' } }] }] }] }),
    });
    expect(res.status).toBe(200);
    const deadline = Date.now() + 30_000;
    while (intake.entries.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(intake.entries.map((e) => e.message)).toEqual(['over tls via proxy']);
    expect(egress.tunnels).toContain(new URL(backend.url).host);
    expect(egress.refusals).toEqual([]);
    await gateway.stop();
    expect(gateway.stdout() + gateway.stderr()).not.toContain(PROXY_PASSWORD);
    expect(gateway.stdout() + gateway.stderr()).not.toContain(Buffer.from(`gw:${PROXY_PASSWORD}`).toString('base64'));
  }, 60_000);

  it('does not start when tls.ca_file cannot be read, naming the exporter and the key', async () => {
    const httpPort = await freePort();
    const path = config(httpPort, '    tls: { ca_file: /nonexistent/corp-ca.pem }');
    const r = await runCli(['--config', path]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('CONFIG_INVALID');
    expect(r.stderr).toContain('exporters.datadog.tls.ca_file: cannot read "/nonexistent/corp-ca.pem" (ENOENT)');
  }, 60_000);
});
