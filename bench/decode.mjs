// The decode path's benchmark (issue 23): the gateway where it must read records, each scenario
// alone against its own sink, closed loop, OTLP/HTTP protobuf in, the persistent queue with fsync
// (the shipped default), in one run:
//   passthrough  the gateway with no processor (reference: nothing decodes)
//   transform    one OTTL statement, set(attributes["x"], true) → otlphttp → bench/sink.mjs
//   make         the processors of examples/make-filter-redact.yaml on Make-shaped records → otlphttp
//   datadog      no processor → the datadog exporter → bench/datadog-sink.mjs (a fake that counts)
// and, when a Fluent Bit binary is found (bench/fluent-bit.mjs), Fluent Bit with filesystem
// buffering on the transform workload (opentelemetry output) and on the datadog one (datadog output).
// Reported per scenario: received records/s, CPU µs per record of the target process (utime +
// stime from /proc, load and drain included), peak RSS (VmHWM).
// Usage: npm run bench:decode -- [--seconds 10] [--rounds 3] [--records 100] [--concurrency 16] [--scenarios a,b]
//        [--gateway-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"]
import { spawn } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { runLoad } from './loadgen.mjs';
import { makeBody, makeExecutionsBody } from './decode-payload.mjs';
import { fluentBitBinary, startFluentBit } from './fluent-bit.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    records: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '16' },
    // Rounds of every scenario in turn (the order rotated each round): the machine's noise comes
    // and goes over tens of seconds, so ratios are read from the medians of rounds run alternately.
    rounds: { type: 'string', default: '3' },
    scenarios: { type: 'string', default: 'passthrough,transform,make,datadog' },
    'gateway-node-args': { type: 'string', default: '' },
    // Another build's CLI (e.g. an older tree built elsewhere): every gateway scenario also runs
    // on it, as "<scenario>@base", in the same rounds.
    compare: { type: 'string' },
    json: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const recordsPerRequest = Number(values.records);
const concurrency = Number(values.concurrency);
const root = resolve(import.meta.dirname, '..');
const WARMUP_MS = 2_000;
const DRAIN_QUIET_MS = 1_500;
const DRAIN_TIMEOUT_MS = 60_000;
const API_KEY = 'bench-key';

function spawnNode(args) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  if (process.env.BENCH_ECHO) child.stderr.pipe(process.stderr);
  return { child, output: () => out };
}

async function until(fn, what, timeoutMs = 30_000) {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const peakRssMb = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}
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

/** A sink process with a `count` question on stdin (bench/sink.mjs, bench/datadog-sink.mjs). */
async function startSink(script, args = []) {
  const sink = spawnNode([script, '0', ...args]);
  await until(() => /ready \d+/.test(sink.output()), script);
  const port = Number(/ready (\d+)/.exec(sink.output())[1]);
  let chain = Promise.resolve();
  const count = () => {
    const ask = () =>
      new Promise((res) => {
        let buf = '';
        const onData = (d) => {
          buf += d;
          const m = /count (\d+) (\d+) (\d+)(?: (\d+))?\n/.exec(buf);
          if (m) {
            sink.child.stdout.off('data', onData);
            res({ records: Number(m[1]), requests: Number(m[2]), malformed: Number(m[3]), oversized: Number(m[4] ?? 0) });
          }
        };
        sink.child.stdout.on('data', onData);
        sink.child.stdin.write('count\n');
      });
    const p = chain.then(ask);
    chain = p.catch(() => {});
    return p;
  };
  return { port, count, stop: () => sink.child.stdin.write('exit\n') };
}

/** The Make example's processors, as shipped, in front of our receiver and exporter. */
function makeExampleProcessors() {
  const example = parseYaml(readFileSync(join(root, 'examples/make-filter-redact.yaml'), 'utf8'));
  return { processors: example.processors, names: example.service.pipelines.logs.processors };
}

function gatewayYaml(scenario, port, sinkPort, storageDir) {
  const config = {
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${port}` } } } },
    processors: {},
    exporters: {},
    extensions: { file_storage: { directory: storageDir } },
    service: { extensions: ['file_storage'], pipelines: { logs: { receivers: ['otlp'], processors: [], exporters: [] } }, telemetry: { logs: { level: 'warn' }, metrics: { level: 'none' } } },
  };
  const queue = { storage: 'file_storage', queue_size: 1000, block_on_overflow: true };
  const pipeline = config.service.pipelines.logs;
  if (scenario === 'datadog') {
    config.exporters.datadog = { api: { key: API_KEY }, logs: { endpoint: `http://127.0.0.1:${sinkPort}`, use_compression: false }, sending_queue: queue };
    pipeline.exporters = ['datadog'];
  } else {
    config.exporters.otlphttp = { endpoint: `http://127.0.0.1:${sinkPort}`, compression: 'none', sending_queue: queue };
    pipeline.exporters = ['otlphttp'];
  }
  if (scenario === 'transform') {
    config.processors.transform = { log_statements: ['set(attributes["x"], true)'] };
    pipeline.processors = ['transform'];
  } else if (scenario === 'make') {
    const { processors, names } = makeExampleProcessors();
    config.processors = processors;
    pipeline.processors = names;
  }
  if (Object.keys(config.processors).length === 0) delete config.processors;
  return stringifyYaml(config);
}

async function startTarget(scenario, sinkPort) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `bench-decode-${scenario}-`));
  let proc;
  if (scenario.startsWith('fluent-bit')) {
    proc = startFluentBit(fluentBit, { port, sinkPort, output: scenario === 'fluent-bit-datadog' ? 'datadog' : 'otlp', apiKey: API_KEY });
  } else {
    const [name, build] = scenario.split('@');
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, gatewayYaml(name, port, sinkPort, join(dir, 'storage')));
    proc = spawnNode([...values['gateway-node-args'].split(' ').filter(Boolean), build === 'base' ? resolve(values.compare) : 'dist/cli.js', '--config', cfg]);
  }
  await until(async () => {
    if (proc.child.exitCode !== null) throw new Error(`${scenario} exited: ${proc.output()}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array() });
      // Fluent Bit (5.1.1) answers an empty ExportLogsServiceRequest 400 "deserialisation error";
      // that it answers at all means its listener is up.
      return r.status < 300 || scenario.startsWith('fluent-bit');
    } catch {
      return false;
    }
  }, scenario);
  return { scenario, port, dir, ...proc };
}

async function stopTarget(t) {
  t.child.kill('SIGTERM');
  await new Promise((r) => (t.child.exitCode !== null ? r() : t.child.on('exit', r)));
  rmSync(t.dir, { recursive: true, force: true });
}

/** Load for `durationMs`, then wait until the sink has stopped receiving (the target drained). */
async function measure(t, sink, body, durationMs) {
  const before = (await sink.count()).records;
  const cpu0 = cpuSeconds(t.child.pid);
  const t0 = performance.now();
  const load = await runLoad({ port: t.port, body, recordsPerRequest, durationMs, concurrency });
  const loadS = (performance.now() - t0) / 1000;
  let last = -1;
  let quietSince = performance.now();
  const start = performance.now();
  for (;;) {
    const now = (await sink.count()).records;
    if (now !== last) {
      last = now;
      quietSince = performance.now();
    } else if (performance.now() - quietSince > DRAIN_QUIET_MS || performance.now() - start > DRAIN_TIMEOUT_MS) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const cpuS = cpuSeconds(t.child.pid) - cpu0;
  const end = await sink.count();
  return { load, loadS, cpuS, delivered: last - before, malformed: end.malformed, requests: end.requests, oversized: end.oversized };
}

const fluentBit = fluentBitBinary();
const requested = values.scenarios.split(',');
const scenarios = requested.flatMap((s) => (values.compare ? [s, `${s}@base`] : [s]));
if (fluentBit) {
  if (requested.includes('transform')) scenarios.push('fluent-bit');
  if (requested.includes('datadog')) scenarios.push('fluent-bit-datadog');
} else console.error('no fluent-bit binary (PATH or FLUENT_BIT): the Fluent Bit rows are skipped');

const bodies = { generic: await makeBody(recordsPerRequest), make: await makeExecutionsBody(recordsPerRequest) };
const results = [];
const started = new Date();
const rounds = Number(values.rounds);
const order = (k) => scenarios.map((_, i) => scenarios[(i + k) % scenarios.length]);
for (let round = 1; round <= rounds; round++) for (const scenario of order(round - 1)) {
  const datadogSink = scenario.startsWith('datadog') || scenario === 'fluent-bit-datadog';
  // Our exporter's reserved fields are checked too (--check-mapping); Datadog requires none, and
  // Fluent Bit's entries are its records with `log` renamed `message`.
  // Fluent Bit's output posts whole chunks, above Datadog's 1000 entries per request: taken and
  // counted (--count-oversized) so it can be measured, and reported below.
  const ddArgs = scenario === 'fluent-bit-datadog' ? [API_KEY, '--count-oversized'] : [API_KEY, '--check-mapping'];
  const sink = datadogSink ? await startSink('bench/datadog-sink.mjs', ddArgs) : await startSink('bench/sink.mjs');
  const t = await startTarget(scenario, sink.port);
  try {
    const body = scenario.startsWith('make') ? bodies.make : bodies.generic;
    await measure(t, sink, body, WARMUP_MS);
    const r = await measure(t, sink, body, seconds * 1000);
    const acked = r.load.ackedRecords;
    const row = {
      scenario,
      round,
      recordsPerSec: acked / r.loadS,
      cpuUsPerRecord: (r.cpuS * 1e6) / acked,
      peakRssMb: peakRssMb(t.child.pid),
      acked,
      delivered: r.delivered,
      malformed: r.malformed,
      sinkRequests: r.requests,
      oversized: r.oversized,
      ackP99: r.load.p99,
      statuses: r.load.statuses,
    };
    results.push(row);
    console.error(`round ${round} ${scenario}: ${Math.round(row.recordsPerSec)} records/s, ${row.cpuUsPerRecord.toFixed(1)} µs CPU/record, ${row.peakRssMb.toFixed(0)} MiB, delivered ${row.delivered} of ${acked}`);
  } finally {
    await stopTarget(t);
    sink.stop();
  }
}

const f = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const ended = new Date();
console.log(`\n${started.toISOString().slice(0, 16).replace('T', ' ')}–${ended.toISOString().slice(11, 16)} UTC, node ${process.version}, ${cpus().length} CPUs, ${recordsPerRequest} records/request (${bodies.generic.length} bytes; Make-shaped ${bodies.make.length}), ${concurrency} connections, ${seconds}s per scenario after ${WARMUP_MS / 1000}s warm-up, ${rounds} round(s) alternating, persistent queue with fsync\n`);
console.log('Medians over the rounds (× = CPU per record against the median of the gateway without processors):\n');
console.log('| scenario | received records/s | CPU µs / record | × no-processor CPU | peak RSS MiB |');
console.log('|---|---|---|---|---|');
const base = median(results.filter((r) => r.scenario === 'passthrough').map((r) => r.cpuUsPerRecord));
for (const scenario of scenarios) {
  const rows = results.filter((r) => r.scenario === scenario);
  const cpu = median(rows.map((r) => r.cpuUsPerRecord));
  console.log(`| ${scenario} | ${f(median(rows.map((r) => r.recordsPerSec)))} | ${f(cpu, 1)} | ${f(cpu / base, 2)} | ${f(Math.max(...rows.map((r) => r.peakRssMb)))} |`);
}
console.log('\nEvery round:\n');
console.log('| round | scenario | received records/s | CPU µs / record | peak RSS MiB | delivered / acked | ack p99 ms | statuses |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.round} | ${r.scenario} | ${f(r.recordsPerSec)} | ${f(r.cpuUsPerRecord, 1)} | ${f(r.peakRssMb)} | ${r.delivered} / ${r.acked} | ${f(r.ackP99, 1)} | ${JSON.stringify(r.statuses)} |`);
for (const r of results.filter((x) => x.oversized > 0 || x.malformed > 0)) {
  console.log(`\nround ${r.round} ${r.scenario}: the sink refused ${r.malformed} request(s); ${r.oversized} of ${r.sinkRequests} accepted requests carried more than 1000 entries (Datadog's documented limit per request), taken only because of --count-oversized`);
}
if (values.json) writeFileSync(values.json, JSON.stringify({ started, ended, recordsPerRequest, concurrency, seconds, rounds, results }, null, 2));
