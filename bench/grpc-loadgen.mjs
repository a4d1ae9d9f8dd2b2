// OTLP/gRPC load generator, the gRPC twin of loadgen.mjs: unary LogsService/Export calls over
// @grpc/grpc-js clients (the client the OpenTelemetry JS gRPC exporter uses), each call with a
// 10 s deadline as the SDK exporter sets. Open loop (`ratePerSec` calls started per second
// whatever the target does) or closed loop (`concurrency` calls in flight). Returns the same
// shape as runLoad; `statuses` counts gRPC code names.
import { Client, credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';

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

  if (ratePerSec) {
    const inflight = new Set();
    const intervalMs = 1000 / ratePerSec;
    let next = performance.now();
    while (performance.now() < deadline) {
      const p = send();
      inflight.add(p);
      p.then(() => inflight.delete(p));
      next += intervalMs;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await Promise.all(inflight);
  } else {
    const worker = async () => {
      while (performance.now() < deadline) await send();
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
  const elapsedMs = performance.now() - started;
  for (const c of clients) c.close();
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : NaN);
  return { latencies, ackedRequests, ackedRecords: ackedRequests * recordsPerRequest, elapsedMs, statuses, details, p50: pct(50), p99: pct(99) };
}
