// In-process CPU per record of the decode path's pieces (issue 23), without the receiver, the
// queue or HTTP, so the numbers hold on a loaded machine: CPU time of this process
// (process.cpuUsage: user + system), not wall time, minimum and median of rounds run alternately
// on this tree's build and, with --compare, another build's dist/ in the same process.
//   decode    decodeLogs of a 100-record Make-shaped request
//   encode    encodeLogs of it
//   make      LazyLogs → the Make example's filter, transform and redaction → encodeLogs
//   datadog   the datadog exporter's entries from the wire walk + the request body (generic records)
// Usage: npm run build && node bench/decode-micro.mjs [--compare /path/to/other/dist] [--rounds 5]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { makeBody, makeExecutionsBody } from './decode-payload.mjs';

const { values } = parseArgs({ options: { compare: { type: 'string' }, rounds: { type: 'string', default: '5' } } });
const root = resolve(import.meta.dirname, '..');
const RECORDS = 100;
const ITERATIONS = 500;

const example = parseYaml(readFileSync(resolve(root, 'examples/make-filter-redact.yaml'), 'utf8'));
const makeRequest = await makeExecutionsBody(RECORDS);
const genericRequest = await makeBody(RECORDS);

async function load(dist) {
  const imp = (p) => import(resolve(dist, p));
  const { decodeLogs, encodeLogs } = await imp('pdata/proto.js');
  const { LazyLogs } = await imp('pdata/lazy-logs.js');
  const { Telemetry } = await imp('telemetry/telemetry.js');
  const { silentLogger } = await imp('telemetry/logger.js');
  const wire = await imp('exporters/datadog/wire-entries.js');
  const factories = {
    filter: (await imp('processors/filter/factory.js')).filterProcessorFactory,
    transform: (await imp('processors/transform/factory.js')).transformProcessorFactory,
    redaction: (await imp('processors/redaction/factory.js')).redactionProcessorFactory,
  };
  const telemetry = new Telemetry({ processMetrics: false });
  let pipeline = { consume: async (logs) => void encodeLogs(logs) };
  for (const name of [...example.service.pipelines.logs.processors].reverse()) {
    const factory = factories[name.split('/')[0]];
    if (!factory) continue; // batch: no per-record work
    pipeline = factory.create({ id: name, telemetry, logger: silentLogger }, factory.schema.parse(example.processors[name]), pipeline);
  }
  const decoded = decodeLogs(makeRequest);
  const options = { source: 'otlp_log_ingestion', tags: [] };
  // Before session 11 the entries were strings joined into the body (payload.ts's jsonArrayBody).
  const buffer = await imp('exporters/datadog/entry-buffer.js').catch(() => undefined);
  const payload = buffer ? undefined : await imp('exporters/datadog/payload.js');
  const writer = buffer ? new (await imp('exporters/datadog/json-bytes.js')).JsonBytes() : undefined;
  return {
    decode: () => decodeLogs(makeRequest),
    encode: () => encodeLogs(decoded),
    make: () => pipeline.consume(new LazyLogs(makeRequest, RECORDS)),
    datadog: () => {
      const w = wire.datadogEntriesFromWire(genericRequest, options, writer);
      return buffer ? buffer.batchBody(w, w.entries) : Buffer.from(payload.jsonArrayBody(w.entries), 'utf8');
    },
  };
}

async function cpuPerRecord(fn) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i++) await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / ITERATIONS / RECORDS;
}

const builds = { this: await load(resolve(root, 'dist')) };
if (values.compare) builds.base = await load(resolve(values.compare));
const results = {};
for (let round = 0; round < Number(values.rounds); round++) {
  for (const piece of ['decode', 'encode', 'make', 'datadog']) {
    for (const [name, b] of Object.entries(builds)) (results[`${piece} ${name}`] ??= []).push(await cpuPerRecord(b[piece]));
  }
}
const med = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(`node ${process.version}, ${RECORDS} records/request, ${ITERATIONS} requests per round, ${values.rounds} rounds; CPU µs per record`);
console.log('| piece | build | min | median |');
console.log('|---|---|---|---|');
for (const [k, v] of Object.entries(results)) console.log(`| ${k.split(' ')[0]} | ${k.split(' ')[1]} | ${Math.min(...v).toFixed(2)} | ${med(v).toFixed(2)} |`);
