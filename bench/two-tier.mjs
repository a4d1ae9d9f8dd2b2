// Two-tier throughput (issue 24, acceptance 3), in one run against the same sink process:
//   single    one gateway: otlp receiver → otlphttp exporter → sink, persistent queue (fsync on)
//   two-tier  ingest gateway: otlp → nats exporter (persistent queue) → JetStream (file storage)
//             → export gateway: nats receiver → otlphttp exporter (persistent queue) → sink
// Closed loop (`--concurrency` clients, each request 100 records of ~300 bytes) for `--seconds` per
// variant per round, variants alternating within each round so the machine's noise hits both.
// Reported per round: delivered records/s at the sink (counted after a warm-up), the client-side
// acknowledged records/s, CPU ms per 1000 delivered records summed over the gateway processes and
// nats-server, and peak RSS of each gateway. After each measurement the sink must receive every
// acknowledged record (the run fails otherwise).
// Needs nats-server on PATH (Debian: apt-get install -y nats-server).
// Usage: npm run build && node bench/two-tier.mjs [--seconds 15] [--rounds 2] [--concurrency 32]
import { spawn, spawnSync } from 'node:child_process';
import { createConnection, createServer as createNetServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from './loadgen.mjs';
import { makeBody } from './payload.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '32' },
    records: { type: 'string', default: '100' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
const RECORDS = Number(values.records);
const WARMUP_MS = 3_000;
const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'bench-two-tier-'));
const body = await makeBody(RECORDS);
const children = new Set();

function spawnProc(cmd, args) {
  const child = spawn(cmd, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  children.add(child);
  child.on('exit', () => children.delete(child));
  return { child, output: () => out };
}
const stop = async (p) => {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  await exited;
};
async function until(fn, what, timeoutMs = 60_000) {
  const t0 = Date.now();
  while (!(await fn())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}
function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

// --- sink and nats-server ---------------------------------------------------------------------
const sink = spawnProc(process.execPath, ['bench/sink.mjs', '0']);
await until(() => /ready \d+/.test(sink.output()), 'sink');
const sinkPort = Number(/ready (\d+)/.exec(sink.output())[1]);
let sinkQueue = Promise.resolve();
function sinkCount() {
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

const natsBin = ['nats-server', '/usr/sbin/nats-server'].find((b) => spawnSync(b, ['--version']).status === 0);
if (!natsBin) throw new Error('nats-server not found (apt-get install -y nats-server)');
const natsPort = await freePort();
const nats = spawnProc(natsBin, ['-js', '-sd', join(work, 'nats'), '-a', '127.0.0.1', '-p', String(natsPort)]);
await until(() => /Server is ready/.test(nats.output()), 'nats-server');
const natsUrl = `nats://127.0.0.1:${natsPort}`;

// --- gateway configs --------------------------------------------------------------------------
const queue = (storage, batch) => [
  '    sending_queue:',
  `      storage: ${storage}`,
  '      queue_size: 1000',
  '      num_consumers: 10',
  '      block_on_overflow: true',
  `      batch: ${batch}`,
];
const tail = (receiver, exporter, storageDir, logLevel = 'warn') => [
  'extensions:',
  '  file_storage:',
  `    directory: ${storageDir}`,
  'service:',
  '  extensions: [file_storage]',
  '  pipelines:',
  '    logs:',
  `      receivers: [${receiver}]`,
  `      exporters: [${exporter}]`,
  '  telemetry:',
  `    logs: { level: ${logLevel} }`,
  '    metrics: { level: none }',
  '',
];
const otlpIn = (port) => ['receivers:', '  otlp:', '    protocols:', '      http:', `        endpoint: 127.0.0.1:${port}`];
const otlphttpOut = ['exporters:', '  otlphttp:', `    endpoint: http://127.0.0.1:${sinkPort}`, '    compression: none', ...queue('file_storage', '{}')];

let run = 0;
const canConnect = (port) =>
  new Promise((res) => {
    const s = createConnection({ port, host: '127.0.0.1' }, () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });

/** Starts a gateway; `readyPort`: a port it listens on once started (logs are at warn, so no "ready" line). */
async function startGateway(name, lines, readyPort) {
  const dir = mkdtempSync(join(work, `${name}-`));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, lines(join(dir, 'queue')).join('\n'));
  const g = spawnProc(process.execPath, ['dist/cli.js', '--config', config]);
  await until(async () => g.child.exitCode !== null || (readyPort ? await canConnect(readyPort) : /consuming from JetStream/.test(g.output())), `${name} ready`);
  if (g.child.exitCode !== null) throw new Error(`${name} exited:\n${g.output()}`);
  return g;
}

async function startVariant(variant) {
  const port = await freePort();
  run++;
  if (variant === 'single') {
    const g = await startGateway('single', (q) => [...otlpIn(port), ...otlphttpOut, ...tail('otlp', 'otlphttp', q)], port);
    return { port, gateways: [g] };
  }
  const stream = `BENCH_${run}`;
  const subject = `bench.${run}`;
  // Batches by bytes, under nats-server's default max_payload (1 MiB), so each is one message.
  const ingest = await startGateway('ingest', (q) => [
    ...otlpIn(port),
    'exporters:',
    '  nats:',
    `    url: ${natsUrl}`,
    `    stream: ${stream}`,
    `    subject: ${subject}`,
    ...queue('file_storage', '{ sizer: bytes, min_size: 524288, max_size: 1000000 }'),
    ...tail('otlp', 'nats', q),
  ], port);
  const exp = await startGateway('export', (q) => [
    'receivers:',
    '  nats:',
    `    url: ${natsUrl}`,
    `    stream: ${stream}`,
    `    subject: ${subject}`,
    '    consumer: bench',
    '    max_ack_pending: 256',
    ...otlphttpOut,
    // info: its start line ("consuming from JetStream") is how the bench knows it is ready.
    ...tail('nats', 'otlphttp', q, 'info'),
  ]);
  return { port, gateways: [ingest, exp] };
}

async function measure(variant) {
  const target = await startVariant(variant);
  const pids = [...target.gateways.map((g) => g.child.pid), ...(variant === 'two-tier' ? [nats.child.pid] : [])];
  const sink0 = await sinkCount();
  const warmup = await runLoad({ port: target.port, body, recordsPerRequest: RECORDS, concurrency: CONCURRENCY, durationMs: WARMUP_MS });
  const sink1 = await sinkCount();
  const cpu0 = pids.map(procStat);
  const t0 = performance.now();
  const load = await runLoad({ port: target.port, body, recordsPerRequest: RECORDS, concurrency: CONCURRENCY, durationMs: SECONDS * 1000 });
  const sink2 = await sinkCount();
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = pids.map(procStat).reduce((s, c, i) => s + c - cpu0[i], 0);
  const delivered = sink2 - sink1;
  // Everything acknowledged (warm-up included) must reach the sink.
  const ackedTotal = warmup.ackedRecords + load.ackedRecords;
  await until(async () => (await sinkCount()) - sink0 >= ackedTotal, `${variant}: sink receives every acknowledged record`, 180_000);
  const rss = target.gateways.map((g) => peakRssMb(g.child.pid));
  for (const g of target.gateways.reverse()) await stop(g);
  return {
    variant,
    deliveredPerSec: Math.round(delivered / elapsed),
    ackedPerSec: Math.round(load.ackedRecords / elapsed),
    cpuMsPer1k: delivered > 0 ? ((cpu * 1000) / (delivered / 1000)).toFixed(2) : 'n/a',
    ackP50: load.p50.toFixed(1),
    ackP99: load.p99.toFixed(1),
    peakRssMb: rss.join(' + '),
    statuses: JSON.stringify(load.statuses),
  };
}

const rows = [];
try {
  for (let r = 1; r <= ROUNDS; r++) {
    const order = r % 2 === 1 ? ['single', 'two-tier'] : ['two-tier', 'single'];
    const round = {};
    for (const v of order) {
      round[v] = await measure(v);
      console.error(`round ${r} ${v}: ${JSON.stringify(round[v])}`);
    }
    rows.push({ round: r, ...round });
  }
} finally {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}

console.log(`\ntwo-tier vs single gateway, ${CONCURRENCY} clients × ${RECORDS} records/request, ${SECONDS} s per variant per round`);
console.log('| round | variant | delivered records/s | acked records/s | × single | CPU ms / 1k records (all processes) | ack p50 / p99 ms | peak RSS MB |');
console.log('|---|---|---|---|---|---|---|---|');
for (const row of rows) {
  for (const v of ['single', 'two-tier']) {
    const m = row[v];
    const ratio = (m.deliveredPerSec / row.single.deliveredPerSec).toFixed(2);
    console.log(`| ${row.round} | ${v} | ${m.deliveredPerSec} | ${m.ackedPerSec} | ${ratio} | ${m.cpuMsPer1k} | ${m.ackP50} / ${m.ackP99} | ${m.peakRssMb} |`);
  }
}
