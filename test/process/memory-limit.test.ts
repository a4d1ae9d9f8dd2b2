import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue: with the shipped otel-config.yaml (memory_limiter limit_percentage 80), 40 concurrent
 * 20 MB OTLP/JSON requests took the gateway to 5.2 GB and V8 aborted with "heap out of memory":
 * the limit came from host memory (19 GB of 24) and bodies were parsed before any check. The
 * built gateway on the shipped config must answer every request with 200 or 429, stay up, and
 * keep its peak RSS under the limit it computed.
 */

const SHIPPED = resolve(import.meta.dirname, '../../otel-config.yaml');
const CONCURRENT = 40;
const BODY_BYTES = 20 * 1000 * 1000;
const MIB = 1024 * 1024;

/** About `bytes` of OTLP/JSON: small records with eight attributes each, the shape that expands most when parsed. */
function otlpJson(bytes: number): Buffer {
  const records: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes - 200; i++) {
    const attrs = Array.from({ length: 8 }, (_, k) => `{"key":"k${k}","value":{"intValue":"${i + k}"}}`).join(',');
    const r = `{"timeUnixNano":"1700000000000000000","severityNumber":9,"body":{"stringValue":"record ${i}"},"attributes":[${attrs}]}`;
    records.push(r);
    size += r.length + 1;
  }
  return Buffer.from(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"load"}}]},"scopeLogs":[{"logRecords":[${records.join(',')}]}]}]}`);
}

/** Peak and current RSS of a process, from /proc. */
function rssOf(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { peak: kb('VmHWM'), now: kb('VmRSS') };
}

let gw: GatewayProcess | undefined;
afterAll(async () => {
  await gw?.stop();
});

describe('memory_limiter with the shipped configuration', () => {
  it('survives 40 concurrent 20 MB OTLP/JSON requests: 200 or 429 for each, RSS under the limit, no abort', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    const [http, grpc, health, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
    // The shipped file as is; a second file (merged over it) only moves its listeners to free loopback ports.
    const ports = writeConfig(`receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${grpc}
      http:
        endpoint: 127.0.0.1:${http}
extensions:
  health_check:
    endpoint: 127.0.0.1:${health}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metrics}
`);
    gw = await startGateway([SHIPPED, ports]);
    const limitMib = Number(/memory limiter started.*hard_limit_mib[=:" ]+(\d+)/.exec(gw.stderr())?.[1]);
    expect(limitMib).toBeGreaterThan(0);

    const body = otlpJson(BODY_BYTES);
    const url = `http://127.0.0.1:${http}/v1/logs`;
    const statuses = await Promise.all(
      Array.from({ length: CONCURRENT }, () =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
          async (r) => {
            await r.arrayBuffer();
            return { status: r.status, retryAfter: r.headers.get('retry-after') };
          },
          (err: Error) => ({ status: 0, retryAfter: err.message }),
        ),
      ),
    );
    const rss = rssOf(gw.child.pid!);
    const count = (s: number) => statuses.filter((x) => x.status === s).length;
    // Measured numbers, for the report.
    console.log(`memory_limiter: limit ${limitMib} MiB, peak RSS ${Math.round(rss.peak / MIB)} MiB, 200: ${count(200)}, 429: ${count(429)}`);

    expect(gw.child.exitCode).toBeNull();
    expect(statuses.filter((s) => s.status !== 200 && s.status !== 429)).toEqual([]);
    expect(count(200)).toBeGreaterThan(0);
    expect(count(429)).toBeGreaterThan(0);
    expect(statuses.filter((s) => s.status === 429).every((s) => /^\d+$/.test(s.retryAfter ?? ''))).toBe(true);
    expect(rss.peak).toBeLessThan(limitMib * MIB);
    expect(gw.stderr()).not.toMatch(/heap out of memory/i);
    // Still serving: health is up and a small request is accepted.
    expect((await fetch(`http://127.0.0.1:${health}/`)).status).toBe(200);
    const small = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceLogs":[]}' });
    expect(small.status).toBe(200);
  }, 300_000);
});
