// Small requests (issue 23): 1 and 10 records per request, as the OpenTelemetry SDKs'
// SimpleLogRecordProcessor or many services with small batches send them, from `--concurrency`
// (64) connections in a closed loop, against (a) the raw Node pass-through and (b) the gateway on
// the shipped `otel-config.yaml` with its exporter an otlphttp with the persistent queue (fsync on,
// every sending_queue key at its default: default-config.mjs). Both forward to the same counting
// sink, which keeps up. The variants alternate in `--slices` slices so the machine's noise hits
// both; ratios are from one run. Reported: acknowledged requests/s, × pass-through, every status
// other than 200 (429 must be zero), ack p50/p99, CPU µs per request, and whether the sink received
// every acknowledged record after the slice (each slice drains before the next).
// BENCH_PROCESSORS=none drops the shipped processors (memory_limiter, batch): the bare pipeline,
// where nothing batched before the send-side merge. `--variants passthrough,baseline,gateway` with
// BASELINE_CLI=<another build's dist/cli.js> adds that build on the same config, in the same run.
// Usage: npm run bench:small -- [--records 1,10] [--seconds 6] [--slices 3] [--concurrency 64]
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { cpuSeconds, peakRssMb, percentile, startSink, startTarget, until } from './harness.mjs';
import { runLoad } from './loadgen.mjs';
import { makeBody } from './payload.mjs';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1,10' },
    seconds: { type: 'string', default: '6' },
    slices: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '64' },
    variants: { type: 'string', default: 'passthrough,gateway' },
  },
});
const sizes = values.records.split(',').map(Number);
const slices = Math.max(1, Number(values.slices));
const sliceMs = (Number(values.seconds) * 1000) / slices;
const concurrency = Number(values.concurrency);
const variants = values.variants.split(',');
const WARMUP_MS = 1_500;
const DRAIN_TIMEOUT_MS = 60_000;
const started = Date.now();

const sink = await startSink();
const rows = [];
for (const records of sizes) {
  const body = await makeBody(records);
  const targets = {};
  for (const v of variants) targets[v] = await startTarget(v, sink.port);
  const acc = Object.fromEntries(variants.map((v) => [v, { acked: 0, ms: 0, cpuS: 0, latencies: [], statuses: {}, delivered: 0, drained: true }]));
  try {
    for (const v of variants) await runLoad({ port: targets[v].port, body, recordsPerRequest: records, concurrency, durationMs: WARMUP_MS });
    for (let k = 0; k < slices; k++) {
      for (const v of k % 2 ? [...variants].reverse() : variants) {
        const t = targets[v];
        const before = (await sink.count()).records;
        const cpu0 = cpuSeconds(t.pid);
        const load = await runLoad({ port: t.port, body, recordsPerRequest: records, concurrency, durationMs: sliceMs });
        const a = acc[v];
        a.cpuS += cpuSeconds(t.pid) - cpu0;
        a.acked += load.ackedRequests;
        a.ms += load.elapsedMs;
        a.latencies.push(...load.latencies);
        for (const [s, n] of Object.entries(load.statuses)) a.statuses[s] = (a.statuses[s] ?? 0) + n;
        let got = 0;
        const drained = await until(async () => (got = (await sink.count()).records - before) >= load.ackedRecords, `${v} to deliver`, DRAIN_TIMEOUT_MS).catch(() => false);
        a.delivered += got;
        a.drained &&= drained;
      }
    }
    for (const v of variants) acc[v].peakRssMb = peakRssMb(targets[v].pid);
  } finally {
    for (const t of Object.values(targets)) await t.stop();
  }
  const base = acc.passthrough ? (acc.passthrough.acked / acc.passthrough.ms) * 1000 : undefined;
  for (const v of variants) {
    const a = acc[v];
    const latencies = a.latencies.sort((x, y) => x - y);
    const rps = (a.acked / a.ms) * 1000;
    const refused = Object.fromEntries(Object.entries(a.statuses).filter(([s]) => s !== '200'));
    rows.push({ records, variant: v, rps, ratio: base ? rps / base : NaN, refused, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpuUsPerRequest: (a.cpuS * 1e6) / a.acked, peakRssMb: a.peakRssMb, delivered: a.delivered, ackedRecords: a.acked * records, drained: a.drained });
    console.error(`${records} records/request ${v}: ${rps.toFixed(0)} requests/s, refused ${JSON.stringify(refused)}`);
  }
}
sink.stop();

const f = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const date = new Date(started).toISOString().slice(0, 16).replace('T', ' ');
console.log(`\n${date} UTC, ${((Date.now() - started) / 1000).toFixed(0)} s, node ${process.version}, ${cpus().length} CPUs, ${concurrency} connections, ${values.seconds}s per variant per size in ${slices} alternating slices\n`);
console.log('| records/request | variant | requests/s | × pass-through | not 200 | ack p50 ms | ack p99 ms | CPU µs/request | peak RSS MB | sink got every acked record |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const refused = Object.keys(r.refused).length ? JSON.stringify(r.refused) : 'none';
  console.log(`| ${r.records} | ${r.variant} | ${f(r.rps)} | ${f(r.ratio, 2)} | ${refused} | ${f(r.p50, 1)} | ${f(r.p99, 1)} | ${f(r.cpuUsPerRequest)} | ${f(r.peakRssMb)} | ${r.drained ? 'yes' : `NO (${r.delivered} of ${r.ackedRecords})`} |`);
}
