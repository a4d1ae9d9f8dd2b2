// A Datadog logs intake that only counts (bench/decode.mjs): POST /api/v2/logs with DD-API-KEY,
// a JSON array body (gzip or not), answered 202 like Datadog. It counts entries with a cheap scan
// (no JSON.parse per request) so it stays far faster than what it measures; every 50th request is
// parsed in full and each entry checked for the reserved fields the mapping documents
// (docs/datadog.md), so a broken body is caught without charging the sink a parse per request.
// Usage: node bench/datadog-sink.mjs <port> <apiKey>; prints "ready <port>", then answers each
// "count" line on stdin with "count <entries> <requests> <malformed>"; "exit" stops it.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { createInterface } from 'node:readline';

const apiKey = process.argv[3] ?? 'bench-key';
let entries = 0;
let requests = 0;
let malformed = 0;

/** Top-level objects in a JSON array: `{` at depth 1, outside strings. */
function countEntries(text) {
  let depth = 0;
  let n = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped char
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (c === 123 && depth === 1) n++;
      depth++;
    } else if (c === 125 || c === 93) depth--;
  }
  if (depth !== 0) throw new Error('unbalanced JSON');
  return n;
}

function checkEntries(text) {
  const arr = JSON.parse(text);
  if (!Array.isArray(arr)) throw new Error('body is not a JSON array');
  for (const e of arr) {
    if (typeof e.message !== 'string' || typeof e.ddsource !== 'string' || typeof e['otel.severity_number'] !== 'string') throw new Error('entry misses message, ddsource or otel.severity_number');
  }
  return arr.length;
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      if (req.url !== '/api/v2/logs' || req.method !== 'POST') throw new Error(`unexpected ${req.method} ${req.url}`);
      if (req.headers['dd-api-key'] !== apiKey) {
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"errors":[{"status":"403","title":"Forbidden"}]}');
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const text = body.toString('utf8');
      entries += requests % 50 === 0 ? checkEntries(text) : countEntries(text);
      requests++;
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    } catch (err) {
      malformed++;
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ status: '400', detail: String(err.message) }] }));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.stdout.write(`ready ${server.address().port}\n`));
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'count') process.stdout.write(`count ${entries} ${requests} ${malformed}\n`);
  if (line === 'exit') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
