// What the three load generators (OTLP/HTTP, grpc-js, bare HTTP/2 gRPC) share: the loop that
// drives `send` — closed (`concurrency` calls in flight, each starting when the last one ended)
// or open (`ratePerSec` calls started per second whatever the target does) — and the summary of
// the latencies. Only the transport differs between them.

export async function driveLoad(send, { concurrency, ratePerSec, deadline }) {
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
    return;
  }
  const worker = async () => {
    while (performance.now() < deadline) await send();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

// Sorts `latencies` in place: callers merge several runs' latencies into one distribution.
export function loadResult({ latencies, ackedRequests, recordsPerRequest, elapsedMs, statuses, details }) {
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : NaN);
  return { latencies, ackedRequests, ackedRecords: ackedRequests * recordsPerRequest, elapsedMs, statuses, details, p50: pct(50), p99: pct(99) };
}
