// A fast OTLP/HTTP backend for benchmarks: counts records it receives, answers 200 with an empty
// ExportLogsServiceResponse. Runs in its own process so its CPU is not charged to the gateway's
// event loop. Usage: node bench/sink.mjs <port>; prints "ready <port>" then, on each "count" line on
// stdin, the records received so far.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { createInterface } from 'node:readline';

const { decodeLogs } = await import('../dist/pdata/proto.js');
let records = 0;
let requests = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const logs = decodeLogs(body);
    for (const rl of logs.resourceLogs) for (const sl of rl.scopeLogs) records += sl.logRecords.length;
    requests++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`ready ${server.address().port}\n`);
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'count') process.stdout.write(`count ${records} ${requests}\n`);
  if (line === 'reset') { records = 0; requests = 0; process.stdout.write('reset\n'); }
  if (line === 'exit') server.close(() => process.exit(0));
});
