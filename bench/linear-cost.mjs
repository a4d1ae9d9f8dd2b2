// Linear cost (issue 23): the gateway on the shipped config with the persistent queue
// (default-config.mjs), closed loop, at 10, 100, 1,000 and 10,000 records per request with one
// exporter, and at 100 records per request with 1, 2 and 4 otlphttp exporters in fan-out (each its
// own persistent queue, all to the same counting sink). Per point: acknowledged records/s and the
// gateway's CPU µs per record (from /proc: every thread), and whether the sink got every record.
// The check: cost should be linear, CPU per request = a + b·records (a per-request part, a
// per-record part) and CPU per record = c + d·exporters. Each point is compared with the line
// fitted by least squares (on relative residuals) to the OTHER points of its series (leave one out); "× model" is measured
// over predicted and should lie within 1/1.3 and 1.3 (no quadratic corner).
// Usage: npm run bench:linear -- [--seconds 4] [--sizes 10,100,1000,10000] [--exporters 1,2,4]
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { cpuSeconds, peakRssMb, startSink, startTarget, until } from './harness.mjs';
import { runLoad } from './loadgen.mjs';
import { makeBody } from './payload.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    sizes: { type: 'string', default: '10,100,1000,10000' },
    exporters: { type: 'string', default: '1,2,4' },
    'fanout-records': { type: 'string', default: '100' },
  },
});
const durationMs = Number(values.seconds) * 1000;
const sizes = values.sizes.split(',').map(Number);
const fanouts = values.exporters.split(',').map(Number);
const fanoutRecords = Number(values['fanout-records']);
const WARMUP_MS = 1_500;
const DRAIN_TIMEOUT_MS = 120_000;
/** Requests in flight: many small ones (as many clients send them), a few big ones (~4 MB each at 10,000). */
const concurrencyFor = (records) => Math.min(64, Math.max(4, Math.round(20_000 / records)));
const started = Date.now();

const sink = await startSink();
const bodies = new Map();
async function measure(records, exporters) {
  if (!bodies.has(records)) bodies.set(records, await makeBody(records));
  const body = bodies.get(records);
  const concurrency = concurrencyFor(records);
  const t = await startTarget('gateway', sink.port, { exporters });
  try {
    await runLoad({ port: t.port, body, recordsPerRequest: records, concurrency, durationMs: WARMUP_MS });
    const before = (await sink.count()).records;
    const cpu0 = cpuSeconds(t.pid);
    const load = await runLoad({ port: t.port, body, recordsPerRequest: records, concurrency, durationMs });
    let got = 0;
    // Every exporter delivers every record: the sink gets them `exporters` times.
    const drained = await until(async () => (got = (await sink.count()).records - before) >= load.ackedRecords * exporters, 'delivery', DRAIN_TIMEOUT_MS).catch(() => false);
    // CPU until drained: the send side's work for these records is done by then.
    const cpuS = cpuSeconds(t.pid) - cpu0;
    const refused = Object.fromEntries(Object.entries(load.statuses).filter(([s]) => s !== '200'));
    const row = { records, exporters, concurrency, bytes: body.length, recordsPerSec: (load.ackedRecords / load.elapsedMs) * 1000, usPerRecord: (cpuS * 1e6) / load.ackedRecords, usPerRequest: (cpuS * 1e6) / load.ackedRequests, refused, drained, delivered: got, expected: load.ackedRecords * exporters, peakRssMb: peakRssMb(t.pid) };
    console.error(`${records} records/request, ${exporters} exporter(s): ${row.recordsPerSec.toFixed(0)} records/s, ${row.usPerRecord.toFixed(2)} µs/record`);
    return row;
  } finally {
    await t.stop();
  }
}

const sizeRows = [];
for (const n of sizes) sizeRows.push(await measure(n, 1));
const fanRows = [];
for (const k of fanouts) fanRows.push(k === 1 && sizes.includes(fanoutRecords) ? sizeRows[sizes.indexOf(fanoutRecords)] : await measure(fanoutRecords, k));
sink.stop();

/**
 * The line through (x, y) by least squares on relative residuals (weights 1/y²): the points span
 * three orders of magnitude, and plain least squares would fit the 10,000-record point and ignore
 * the 10-record one. Returns y at `at`.
 */
function predict(points, at) {
  const w = points.map((p) => 1 / p.y ** 2);
  const sw = w.reduce((s, v) => s + v, 0);
  const mx = points.reduce((s, p, i) => s + w[i] * p.x, 0) / sw;
  const my = points.reduce((s, p, i) => s + w[i] * p.y, 0) / sw;
  const sxx = points.reduce((s, p, i) => s + w[i] * (p.x - mx) ** 2, 0);
  const slope = sxx === 0 ? 0 : points.reduce((s, p, i) => s + w[i] * (p.x - mx) * (p.y - my), 0) / sxx;
  return my + slope * (at - mx);
}
/** Measured over predicted by the line through the other points. */
function leaveOneOut(points) {
  return points.map((p, i) => (points.length < 3 ? NaN : p.y / predict(points.filter((_, j) => j !== i), p.x)));
}
const sizeRatios = leaveOneOut(sizeRows.map((r) => ({ x: r.records, y: r.usPerRequest })));
const fanRatios = leaveOneOut(fanRows.map((r) => ({ x: r.exporters, y: r.usPerRecord })));

const f = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const ok = (ratio) => (Number.isFinite(ratio) ? (ratio <= 1.3 && ratio >= 1 / 1.3 ? 'yes' : 'NO') : 'n/a');
const status = (r) => `${Object.keys(r.refused).length ? JSON.stringify(r.refused) : 'none'}${r.drained ? '' : `, sink got ${r.delivered} of ${r.expected}`}`;
const date = new Date(started).toISOString().slice(0, 16).replace('T', ' ');
console.log(`\n${date} UTC, ${((Date.now() - started) / 1000).toFixed(0)} s, node ${process.version}, ${cpus().length} CPUs, ${values.seconds}s per point\n`);
console.log('Records per request (1 exporter); model: CPU µs per request = a + b·records\n');
console.log('| records/request | bytes/request | connections | records/s | CPU µs/record | CPU µs/request | × model (leave one out) | within 1.3× | not 200 | peak RSS MB |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
sizeRows.forEach((r, i) => console.log(`| ${r.records} | ${r.bytes} | ${r.concurrency} | ${f(r.recordsPerSec)} | ${f(r.usPerRecord, 2)} | ${f(r.usPerRequest)} | ${f(sizeRatios[i], 2)} | ${ok(sizeRatios[i])} | ${status(r)} | ${f(r.peakRssMb)} |`));
console.log(`\nFan-out (${fanoutRecords} records per request); model: CPU µs per record = c + d·exporters\n`);
console.log('| exporters | records/s accepted | CPU µs/record | × model (leave one out) | within 1.3× | not 200 | peak RSS MB |');
console.log('|---|---|---|---|---|---|---|');
fanRows.forEach((r, i) => console.log(`| ${r.exporters} | ${f(r.recordsPerSec)} | ${f(r.usPerRecord, 2)} | ${f(fanRatios[i], 2)} | ${ok(fanRatios[i])} | ${status(r)} | ${f(r.peakRssMb)} |`));
