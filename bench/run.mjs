// End-to-end benchmark (issue 3, acceptance 7). In one run, against the same sink process:
//   passthrough  plain Node forwarder, no decoding (the ceiling for a JS gateway here)
//   memory       the gateway, otlp receiver → otlphttp exporter with the in-memory sending queue
//   persistent   the same with `sending_queue.storage: file_storage` (SQLite, fsync on: the default)
// Each round starts all three targets and interleaves them in slices (`--slices`, rotating the
// order), so that the machine's noise, which comes and goes over tens of seconds on this shared
// machine, hits every variant alike; a round's ratios compare variants measured in the same minute.
// Phase 1: delivered records/s end to end, closed loop: the rate at which the sink received records
// once the target's pipeline was full (from a fifth into each slice to its end); after each slice
// the target drains (the sink must get every record it acknowledged) before the next one runs.
// Also the target's CPU time per 1000 records (robust to a noisy machine) and its peak RSS.
// Phase 2: ack latency p50/p99 at half the persistent path's maximum request rate (open loop).
// Phase 1 runs once per client concurrency given (`--concurrency 16,64`): with few clients the
// persistent path is bound by acknowledgement latency (each ack waits for an fsync), with many by
// CPU; a gateway in front of many services sees the second.
// Usage: npm run bench -- [--seconds 10] [--slices 5] [--records 100] [--concurrency 16,64] [--rounds 2]
import { spawn } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from './loadgen.mjs';
import { makeBody } from './payload.mjs';
import { gatewayConfig } from './gateway-config.mjs';

const { values } = parseArgs({
  options: {
    // Seconds of load per variant per round, split into `slices` interleaved slices.
    seconds: { type: 'string', default: '10' },
    slices: { type: 'string', default: '5' },
    records: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '16,64' },
    rounds: { type: 'string', default: '2' },
    // Open-loop rate in requests/s for phase 2; default: half the persistent path's maximum (best median).
    rate: { type: 'string' },
    variants: { type: 'string', default: 'passthrough,memory,persistent' },
    'queue-size': { type: 'string', default: '1000' },
    'num-consumers': { type: 'string', default: '10' },
    // sending_queue.batch for the gateway variants: "default" (the Collector's `batch: {}`: 8192
    // items or 200 ms), "off", or a flow map such as "{ flush_timeout: 0s, max_size: 4000 }".
    batch: { type: 'string', default: 'default' },
    // file_storage.fsync for the persistent variant: "on" (the default, as shipped) or "off" (to see
    // what the fsync itself costs).
    fsync: { type: 'string', default: 'on' },
    // e.g. --gateway-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the gateway
    'gateway-node-args': { type: 'string', default: '' },
    json: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const slices = Math.max(1, Number(values.slices));
const sliceMs = (seconds * 1000) / slices;
const recordsPerRequest = Number(values.records);
const concurrencies = values.concurrency.split(',').map(Number);
/** Open-loop phase: the rate sets the load, this only bounds the connection pool. */
const OPEN_LOOP_CONCURRENCY = Math.max(...concurrencies);
const rounds = Number(values.rounds);
const variants = values.variants.split(',');
const root = resolve(import.meta.dirname, '..');
const body = await makeBody(recordsPerRequest);
/** Warm-up before each measurement: JIT, connection pools, SQLite pages. */
const WARMUP_MS = 2_000;
/** How long the sink may take to receive what was acknowledged before the run counts as failed. */
const DRAIN_TIMEOUT_MS = 120_000;
const POLL_MS = 20;
/** Share of each slice before the delivery rate is counted (the target's pipeline filling up). */
const RAMP_SHARE = 0.2;

function spawnNode(args) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // BENCH_ECHO=1 shows the targets' own output (logs, diagnostics) while the benchmark runs.
  if (process.env.BENCH_ECHO) {
    child.stdout.pipe(process.stderr);
    child.stderr.pipe(process.stderr);
  }
  return { child, output: () => out };
}

async function until(fn, what, timeoutMs = 30_000) {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return true;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** utime + stime of a process, in seconds (all its threads: libuv pool, GC, SQLite included). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

// --- the sink ---------------------------------------------------------------------------------
const sink = spawnNode(['bench/sink.mjs', '0']);
await until(() => /ready \d+/.test(sink.output()), 'sink');
const sinkPort = Number(/ready (\d+)/.exec(sink.output())[1]);
let sinkQueue = Promise.resolve();
function sinkCount() {
  // One question at a time on the sink's stdin/stdout.
  const ask = () =>
    new Promise((res) => {
      let buf = '';
      const onData = (d) => {
        buf += d;
        const m = /count (\d+) (\d+) (\d+)\n/.exec(buf);
        if (m) {
          sink.child.stdout.off('data', onData);
          res(Number(m[1]));
        }
      };
      sink.child.stdout.on('data', onData);
      sink.child.stdin.write('count\n');
    });
  const p = sinkQueue.then(ask);
  sinkQueue = p.catch(() => {});
  return p;
}

// --- targets ----------------------------------------------------------------------------------
/** A port free right now (the gateway's config needs a number; a race is retried in startTarget). */
function freePort() {
  return new Promise((res, rej) => {
    const s = createNetServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}
const tempDirs = [];
async function startTarget(name) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTargetOnce(name, await freePort());
    } catch (err) {
      // Other processes on a shared machine may take the port between probe and listen.
      if (attempt >= 3 || !/EADDRINUSE|address already in use/.test(err.message)) throw err;
    }
  }
}

async function startTargetOnce(name, port) {
  let proc;
  if (name === 'passthrough') proc = spawnNode(['bench/passthrough.mjs', String(port), String(sinkPort)]);
  else {
    const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
    tempDirs.push(dir);
    const cfg = join(dir, 'config.yaml');
    const storageDir = name === 'persistent' ? join(dir, 'storage') : undefined;
    writeFileSync(cfg, gatewayConfig({ port, sinkPort, storageDir, queueSize: values['queue-size'], numConsumers: values['num-consumers'], batch: values.batch, fsync: values.fsync }));
    proc = spawnNode([...values['gateway-node-args'].split(' ').filter(Boolean), 'dist/cli.js', '--config', cfg]);
  }
  await until(async () => {
    if (proc.child.exitCode !== null) throw new Error(`${name} exited: ${proc.output()}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array() });
      return r.status === 200;
    } catch {
      return false;
    }
  }, name);
  return { name, port, ...proc };
}

async function stopTarget(t) {
  t.child.kill('SIGTERM');
  await new Promise((r) => (t.child.exitCode !== null ? r() : t.child.on('exit', r)));
}

/**
 * One slice: load for `durationMs`, then wait until the sink holds every acknowledged record.
 * `steadyRecords` is what the sink received from `RAMP_SHARE` into the load until its end, over
 * `steadyS`: the delivery rate once the target's pipeline is full. Counting from the start would
 * charge a gateway for the batches still on their way when the slice ends (up to
 * num_consumers × 8192 records: 10 % of a 2 s slice); counting until drained would charge it the
 * last partial batch's flush_timeout (200 ms).
 */
async function loadAndDrain(t, options) {
  const before = await sinkCount();
  const cpu0 = cpuSeconds(t.child.pid);
  const t0 = performance.now();
  const loading = runLoad({ port: t.port, body, recordsPerRequest, durationMs: options.durationMs, concurrency: options.concurrency ?? OPEN_LOOP_CONCURRENCY, ratePerSec: options.ratePerSec });
  await new Promise((r) => setTimeout(r, options.durationMs * RAMP_SHARE));
  const steadyFrom = [await sinkCount(), performance.now()];
  const load = await loading;
  const steadyTo = [await sinkCount(), performance.now()];
  let delivered = 0;
  const drained = await until(async () => (delivered = (await sinkCount()) - before) >= load.ackedRecords, `${t.name} to deliver`, DRAIN_TIMEOUT_MS).catch(() => false);
  return {
    load,
    steadyRecords: steadyTo[0] - steadyFrom[0],
    steadyS: (steadyTo[1] - steadyFrom[1]) / 1000,
    delivered,
    drained,
    elapsedS: (performance.now() - t0) / 1000,
    cpuS: cpuSeconds(t.child.pid) - cpu0,
  };
}

/** The same order rotated by `k`, so no variant always runs first (or right after another). */
const rotated = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);

/**
 * One round of one phase: fresh targets for every variant, warmed up, then `slices` interleaved
 * slices each; results summed per variant.
 */
async function round(load) {
  const targets = {};
  try {
    for (const v of variants) targets[v] = await startTarget(v);
    for (const v of variants) await loadAndDrain(targets[v], { ...load, durationMs: WARMUP_MS });
    const sum = Object.fromEntries(variants.map((v) => [v, { name: v, steadyS: 0, elapsedS: 0, cpuS: 0, acked: 0, steadyRecords: 0, delivered: 0, drained: true, latencies: [], statuses: {} }]));
    for (let k = 0; k < slices; k++) {
      for (const v of rotated(variants, k)) {
        const r = await loadAndDrain(targets[v], { ...load, durationMs: sliceMs });
        const acc = sum[v];
        acc.steadyS += r.steadyS;
        acc.steadyRecords += r.steadyRecords;
        acc.elapsedS += r.elapsedS;
        acc.cpuS += r.cpuS;
        acc.acked += r.load.ackedRecords;
        acc.delivered += r.delivered;
        acc.drained &&= r.drained;
        acc.latencies.push(...r.load.latencies);
        for (const [status, n] of Object.entries(r.load.statuses)) acc.statuses[status] = (acc.statuses[status] ?? 0) + n;
      }
    }
    for (const v of variants) sum[v].peakRssMb = peakRssMb(targets[v].child.pid);
    return sum;
  } finally {
    for (const t of Object.values(targets)) await stopTarget(t);
  }
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

function summary(acc, extra) {
  const latencies = acc.latencies.sort((a, b) => a - b);
  return {
    name: acc.name,
    ...extra,
    acked: acc.acked,
    delivered: acc.delivered,
    drained: acc.drained,
    recordsPerSec: acc.steadyRecords / acc.steadyS,
    cpuMsPer1k: (acc.cpuS * 1000) / (acc.acked / 1000),
    coresUsed: acc.cpuS / acc.elapsedS,
    ackP50: percentile(latencies, 50),
    ackP99: percentile(latencies, 99),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    peakRssMb: acc.peakRssMb,
    statuses: acc.statuses,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const runs = []; // phase 1, every round at every concurrency
for (const concurrency of concurrencies) {
  for (let r = 1; r <= rounds; r++) {
    const sums = await round({ concurrency });
    const row = Object.fromEntries(variants.map((v) => [v, summary(sums[v], { concurrency })]));
    for (const v of variants) console.error(`concurrency ${concurrency} round ${r} ${v}: ${Math.round(row[v].recordsPerSec)} records/s delivered, ${row[v].cpuMsPer1k.toFixed(1)} CPU ms/1k records`);
    runs.push({ concurrency, round: r, row });
  }
}
const lat = [];
if (variants.includes('persistent')) {
  // The persistent path's maximum: the best median over the concurrencies measured.
  const persistentMax = Math.max(...concurrencies.map((c) => median(runs.filter((r) => r.concurrency === c).map((r) => r.row.persistent.recordsPerSec))));
  const rate = values.rate ? Number(values.rate) : Math.max(1, Math.round(persistentMax / recordsPerRequest / 2));
  for (let r = 1; r <= rounds; r++) {
    const sums = await round({ ratePerSec: rate });
    for (const v of variants) {
      const result = summary(sums[v], { ratePerSec: rate });
      lat.push(result);
      console.error(`round ${r} ${v} at ${rate} requests/s: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms`);
    }
  }
}
sink.child.stdin.write('exit\n');
for (const d of tempDirs) rmSync(d, { recursive: true, force: true });

// --- report -----------------------------------------------------------------------------------
const f = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
console.log(`\n${date} UTC, node ${process.version}, ${cpus().length} CPUs, ${recordsPerRequest} records/request, ${body.length} bytes/request, concurrency ${concurrencies.join(' and ')}, ${seconds}s per variant per round in ${slices} interleaved slices, ${rounds} round(s), queue_size ${values['queue-size']}, num_consumers ${values['num-consumers']}, batch ${values.batch}, fsync ${values.fsync}\n`);
console.log('Closed loop, delivered end to end (ratios against the pass-through of the same round; the rate the sink received records at under load, after the first fifth of each slice):\n');
console.log('| clients | round | variant | delivered records/s | × pass-through | CPU ms / 1k records | cores used | ack p50 ms | ack p99 ms | peak RSS MB |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
runs.forEach(({ concurrency, round, row }) => {
  const base = row.passthrough?.recordsPerSec;
  for (const r of Object.values(row)) {
    console.log(`| ${concurrency} | ${round} | ${r.name} | ${f(r.recordsPerSec)} | ${base ? f(r.recordsPerSec / base, 2) : 'n/a'} | ${f(r.cpuMsPer1k, 1)} | ${f(r.coresUsed, 2)} | ${f(r.ackP50, 1)} | ${f(r.ackP99, 1)} | ${f(r.peakRssMb)} |`);
  }
});
if (lat.length) {
  const rate = lat[0].ratePerSec;
  console.log(`\nOpen loop at half the persistent path's maximum (its best median over the concurrencies): ${rate} requests/s (${rate * recordsPerRequest} records/s):\n`);
  console.log('| variant | ack p50 ms | ack p99 ms | peak RSS MB | statuses |');
  console.log('|---|---|---|---|---|');
  for (const r of lat) console.log(`| ${r.name} | ${f(r.p50, 1)} | ${f(r.p99, 1)} | ${f(r.peakRssMb)} | ${JSON.stringify(r.statuses)} |`);
}
for (const r of [...runs.flatMap(({ row }) => Object.values(row)), ...lat]) {
  if (!r.drained) console.log(`\nWARNING: ${r.name} delivered ${r.delivered} of ${r.acked} acknowledged records within ${DRAIN_TIMEOUT_MS / 1000}s`);
}
if (values.json) writeFileSync(values.json, JSON.stringify({ date, node: process.version, cpus: cpus().length, recordsPerRequest, bytesPerRequest: body.length, concurrencies, seconds, runs, latency: lat }, null, 2));
