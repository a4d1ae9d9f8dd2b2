// A fast OTLP/HTTP backend for benchmarks: counts the log records it receives and answers 200 with
// an empty ExportLogsServiceResponse. Runs in its own process so its CPU is not charged to the
// gateway's event loop, and counts records by walking the protobuf wire format (no decode into
// objects) so it stays far faster than anything it measures.
// Usage: node bench/sink.mjs <port>; prints "ready <port>", then answers each "count" line on
// stdin with "count <records> <requests>"; "exit" stops it.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { createInterface } from 'node:readline';

let records = 0;
let requests = 0;
let malformed = 0;

/** Reads a varint at `pos`; returns [value, nextPos]. Lengths here stay far below 2^31. */
function varint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined) throw new Error('truncated varint');
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, pos];
    shift += 7;
  }
}

/** Calls `onField(field, start, end)` for each length-delimited field in buf[start, end). */
function eachLenField(buf, start, end, onField) {
  let pos = start;
  while (pos < end) {
    let tag;
    [tag, pos] = varint(buf, pos);
    const wire = tag & 7;
    if (wire === 2) {
      let len;
      [len, pos] = varint(buf, pos);
      if (pos + len > end) throw new Error('field overruns its message');
      onField(tag >>> 3, pos, pos + len);
      pos += len;
    } else if (wire === 0) [, pos] = varint(buf, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

/** ExportLogsServiceRequest: resource_logs = 1 → scope_logs = 2 → log_records = 2. */
function countRecords(buf) {
  let n = 0;
  eachLenField(buf, 0, buf.length, (f, s, e) => {
    if (f === 1) eachLenField(buf, s, e, (f2, s2, e2) => {
      if (f2 === 2) eachLenField(buf, s2, e2, (f3) => {
        if (f3 === 2) n++;
      });
    });
  });
  return n;
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    try {
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      records += countRecords(body);
      requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
    } catch (err) {
      malformed++;
      res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err.message));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`ready ${server.address().port}\n`);
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'count') process.stdout.write(`count ${records} ${requests} ${malformed}\n`);
  if (line === 'exit') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
