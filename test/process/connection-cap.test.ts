import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, writeConfig } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue: with 1,024 file descriptors, 1,100 half-sent connections blocked every client for up to
 * read_header_timeout (60 s), and nothing was logged. The built gateway under `ulimit -n 256`:
 * a flood of half-sent connections on the OTLP port is capped (default: half the fd limit), the
 * excess closed at once and counted, a warning logged, and the other listeners keep answering.
 */

const FD_LIMIT = 256;
const FLOOD = 300;

const sockets: Socket[] = [];
let stopGateway: (() => Promise<unknown>) | undefined;
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await stopGateway?.();
});

function open(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', () => resolve(undefined));
    sockets.push(s);
  });
}

describe('connection cap under a low fd limit', () => {
  it('closes the excess of a half-sent connection flood at once, counts it, warns, and keeps health and metrics answering', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    const [http, health, metrics] = [await freePort(), await freePort(), await freePort()];
    const config = writeConfig(`receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${http}
exporters:
  debug: {}
extensions:
  health_check:
    endpoint: 127.0.0.1:${health}
service:
  extensions: [health_check]
  telemetry:
    metrics:
      address: 127.0.0.1:${metrics}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [debug]
`);
    const child = spawn('sh', ['-c', `ulimit -n ${FD_LIMIT} && exec "$0" "$@"`, process.execPath, CLI, '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise((r) => child.on('exit', r));
    stopGateway = () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    };
    for (let i = 0; i < 600 && !stderr.includes('everything is ready'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toContain('everything is ready');

    // Half-sent requests: headers never finished, as a slowloris client leaves them.
    for (let i = 0; i < FLOOD; i++) (await open(http))?.write('POST /v1/logs HTTP/1.1\r\nhost: x\r\n');
    const refused = () => fetch(`http://127.0.0.1:${metrics}/metrics`).then((r) => r.text()).then((t) => Number(/gateway_server_refused_connections_total\{server="otlp\/http"\} (\d+)/.exec(t)?.[1] ?? 0));
    let count = 0;
    for (let i = 0; i < 100 && count < FLOOD - FD_LIMIT / 2; i++) {
      count = await refused();
      if (count < FLOOD - FD_LIMIT / 2) await new Promise((r) => setTimeout(r, 100));
    }
    // The default cap is half the fd limit: 128 held, the rest refused at once.
    expect(count).toBeGreaterThanOrEqual(FLOOD - FD_LIMIT / 2);
    expect((await fetch(`http://127.0.0.1:${health}/`)).status).toBe(200);
    expect(stderr).toMatch(/max_connections/);
    expect(child.exitCode).toBeNull();
    // Once the flood goes away, OTLP clients are served again.
    for (const s of sockets.splice(0)) s.destroy();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = await fetch(`http://127.0.0.1:${http}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: '{"resourceLogs":[]}' }).then((r) => r.status, () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  }, 120_000);
});
