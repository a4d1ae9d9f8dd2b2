import { afterEach, describe, expect, it } from 'vitest';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 15, acceptance 4: a backend that is down for "three minutes" shows in the gateway's stderr
 * as one line for the first failed attempt (reason, status, next retry time), then at most one line
 * per interval with the count of failed attempts since the last line, then one recovery line; no
 * form of the exporter's token appears. Before, stderr held only the start-up lines. Time is
 * scaled: the test-only MAKE_OTEL_GATEWAY_FAILURE_LOG_INTERVAL_MS makes the one-minute interval
 * one second, so three "minutes" of outage take three seconds.
 */

const INTERVAL_MS = 1_000;
const SCALED_MINUTES = 3;
const TOKEN = 'tok-failure-logs-0123456789abcdef';

let backend: OtlpHttpBackend | undefined;
let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.kill9();
  await backend?.close();
  gateway = backend = undefined;
});

interface Line {
  at: number;
  level: string;
  text: string;
}

function lines(stderr: string, pattern: RegExp): Line[] {
  return stderr
    .split('\n')
    .filter((l) => pattern.test(l))
    .map((text) => {
      const [ts, level] = text.split(' ', 2);
      return { at: Date.parse(ts!), level: level!, text };
    });
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('delivery failures in the logs, through the gateway process', () => {
  it('logs the first failed attempt, then rate-limited repeats with counts, then one recovery line, with no secret', async () => {
    backend = await OtlpHttpBackend.start({ requiredHeaders: { authorization: `Bearer ${TOKEN}` } });
    // The backend echoes the token in its error, as some do: it must still not reach the logs.
    backend.failAlways({ status: 503, message: `unavailable for Bearer ${TOKEN}` });
    const receiverPort = await freePort();
    const path = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${receiverPort}
exporters:
  otlphttp:
    endpoint: ${backend.url}
    compression: none
    encoding: json
    headers:
      authorization: Bearer \${env:FAILURE_LOGS_TOKEN}
    sending_queue:
      num_consumers: 2
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 100ms
      max_elapsed_time: 0
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp]
`);
    gateway = await startGateway(path, { FAILURE_LOGS_TOKEN: TOKEN, MAKE_OTEL_GATEWAY_FAILURE_LOG_INTERVAL_MS: String(INTERVAL_MS) });

    const body = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'during the outage' } }] }] }] });
    const res = await fetch(`http://127.0.0.1:${receiverPort}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);

    const failing = () => lines(gateway!.stderr(), /sending (failed|still failing)/);
    await until(() => failing().length >= 1 + SCALED_MINUTES, `${SCALED_MINUTES} repeat lines`);
    backend.failAlways(undefined);
    await backend.waitForRecords(1, 30_000);
    await until(() => lines(gateway!.stderr(), /sending recovered/).length === 1, 'the recovery line');
    expect(await gateway.stop()).toBe(0);

    const stderr = gateway.stderr();
    const [first, ...repeats] = failing();
    expect(first!.level).toBe('warn');
    expect(first!.text).toContain('sending failed');
    expect(first!.text).toMatch(/reason="HTTP 503/);
    expect(first!.text).toMatch(/status=503\b/);
    expect(first!.text).toMatch(/next_retry=\d{4}-\d\d-\d\dT/);

    // Rate limited: ~one line per interval while failing (attempts run every 50-100 ms, so
    // unthrottled there would be dozens), each with the count since the line before.
    expect(repeats.length).toBeGreaterThanOrEqual(SCALED_MINUTES);
    let previous = first!.at;
    for (const r of repeats) {
      expect(r.text).toContain('sending still failing');
      expect(r.at - previous).toBeGreaterThanOrEqual(INTERVAL_MS - 5);
      expect(Number(/failed_attempts_since_last_line=(\d+)/.exec(r.text)?.[1])).toBeGreaterThan(1);
      previous = r.at;
    }
    const recovered = lines(stderr, /sending recovered/);
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.level).toBe('info');
    expect(recovered[0]!.at).toBeGreaterThanOrEqual(previous);
    expect(recovered[0]!.text).toMatch(/failed_attempts=\d+/);

    expect(stderr).not.toContain(TOKEN);
    expect(stderr).not.toContain(Buffer.from(TOKEN).toString('base64'));
    expect(backend.records().map((r) => r.body?.stringValue)).toEqual(['during the outage']);
  });
});
