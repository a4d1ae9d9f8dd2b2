// OTLP/HTTP protobuf load generator. Closed loop (`concurrency` requests in flight, as fast as the
// target acks) or open loop (`ratePerSec` requests started per second whatever the target does,
// so latency is measured at a fixed offered load). Every request carries the same body.
import { Agent, request } from 'node:http';
import { driveLoad, loadResult } from './load-loop.mjs';

export async function runLoad({ port, body, recordsPerRequest, concurrency = 8, durationMs = 10_000, ratePerSec }) {
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(concurrency, 256) });
  const latencies = [];
  const statuses = {};
  let ackedRequests = 0;
  const started = performance.now();
  const deadline = started + durationMs;

  const send = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = request(
        { host: '127.0.0.1', port, method: 'POST', path: '/v1/logs', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
        (res) => {
          res.resume();
          res.on('end', () => {
            statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
            if (res.statusCode >= 200 && res.statusCode < 300) {
              ackedRequests++;
              latencies.push(performance.now() - t0);
            }
            resolve();
          });
        },
      );
      req.on('error', (e) => {
        statuses[e.code ?? 'error'] = (statuses[e.code ?? 'error'] ?? 0) + 1;
        resolve();
      });
      req.end(body);
    });

  await driveLoad(send, { concurrency, ratePerSec, deadline });
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return loadResult({ latencies, ackedRequests, recordsPerRequest, elapsedMs, statuses });
}
