// OTLP/gRPC load generator, the gRPC twin of loadgen.mjs: unary LogsService/Export calls over
// @grpc/grpc-js clients (the client the OpenTelemetry JS gRPC exporter uses), each call with a
// 10 s deadline as the SDK exporter sets. Open loop (`ratePerSec` calls started per second
// whatever the target does) or closed loop (`concurrency` calls in flight). Returns the same
// shape as runLoad; `statuses` counts gRPC code names.
import { Client, credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { driveLoad, loadResult } from './load-loop.mjs';

const EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
const DEADLINE_MS = 10_000;
const identity = (b) => b;

export async function runGrpcLoad({ port, body, recordsPerRequest, concurrency = 8, durationMs = 10_000, ratePerSec, channels = 4 }) {
  // Distinct channel options make grpc-js open one connection per client instead of sharing one.
  const clients = Array.from({ length: channels }, (_, i) => new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'bench.channel': i }));
  const message = Buffer.from(body);
  const latencies = [];
  const statuses = {};
  /** The first error text seen for each code, to tell refusals from transport failures. */
  const details = {};
  let ackedRequests = 0;
  let sent = 0;
  const started = performance.now();
  const deadline = started + durationMs;

  const send = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const client = clients[sent++ % clients.length];
      client.makeUnaryRequest(EXPORT_PATH, identity, identity, message, new Metadata(), { deadline: Date.now() + DEADLINE_MS }, (err) => {
        const name = GrpcStatus[err ? err.code : GrpcStatus.OK];
        statuses[name] = (statuses[name] ?? 0) + 1;
        if (err) details[name] ??= err.details;
        if (!err) {
          ackedRequests++;
          latencies.push(performance.now() - t0);
        }
        resolve();
      });
    });

  await driveLoad(send, { concurrency, ratePerSec, deadline });
  const elapsedMs = performance.now() - started;
  for (const c of clients) c.close();
  return loadResult({ latencies, ackedRequests, recordsPerRequest, elapsedMs, statuses, details });
}
