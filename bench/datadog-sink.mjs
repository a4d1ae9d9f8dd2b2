// A Datadog logs intake that counts (bench/decode.mjs). It holds every sender to Datadog's
// documented intake contract (Logs API v2, "Send logs"): POST /api/v2/logs, DD-API-KEY (403
// otherwise), Content-Type application/json (400), Content-Encoding gzip, deflate or none (415),
// at most 5 MB uncompressed (413) and 1000 entries per array (413), the body an array of objects or
// one object (400), answered 202 like Datadog with its `{"errors":[…]}` bodies on refusal.
// It counts entries with a cheap scan (no JSON.parse per request) so it stays far faster than what
// it measures; every 50th accepted request is parsed in full. Datadog requires no field of an entry,
// so which fields must be there is the sender's mapping, not the intake's: with `--check-mapping`
// (the gateway's datadog exporter) those parsed entries must carry the reserved fields its mapping
// documents (docs/datadog.md); Fluent Bit's `datadog` output, whose entries are its records with
// `log` renamed `message`, runs without it. Fluent Bit's `datadog` output posts a whole chunk
// (thousands of records) per request, above the 1000-entry limit; `--count-oversized` takes such
// arrays anyway and counts the requests, so the benchmark can measure it and say so.
// Usage: node bench/datadog-sink.mjs <port> <apiKey> [--check-mapping] [--count-oversized];
// prints "ready <port>", then answers each "count" line on stdin with
// "count <entries> <requests> <malformed> <oversized>" (malformed: refused requests, whatever the
// reason; oversized: accepted requests above 1000 entries); "exit" stops it. Refusals are also
// reported on stderr, once per reason.
import { createServer } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import { createInterface } from 'node:readline';

const apiKey = process.argv[3] ?? 'bench-key';
const checkMapping = process.argv.includes('--check-mapping');
const countOversized = process.argv.includes('--count-oversized');
const MAX_BYTES = 5_000_000;
const MAX_ENTRIES = 1000;
let entries = 0;
let requests = 0;
let malformed = 0;
let oversized = 0;
const reported = new Set();

class Refusal extends Error {
  constructor(status, title, detail) {
    super(detail);
    this.status = status;
    this.title = title;
  }
}

/** Entries in the body: top-level objects of a JSON array (`{` at depth 1, outside strings), or 1 for one object. */
function countEntries(text) {
  let depth = 0;
  let n = 0;
  let inString = false;
  let first = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped char
      else if (c === 34) inString = false;
      continue;
    }
    if (first === -1 && c > 32) first = c;
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (c === 123 && depth === 1) n++;
      depth++;
    } else if (c === 125 || c === 93) depth--;
  }
  if (depth !== 0 || (first !== 91 && first !== 123)) throw new Refusal(400, 'Bad Request', 'Malformed payload');
  return first === 123 ? 1 : n;
}

function checkEntries(text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Refusal(400, 'Bad Request', 'Malformed payload');
  }
  const batch = Array.isArray(parsed) ? parsed : [parsed];
  if (!batch.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e))) throw new Refusal(400, 'Bad Request', 'Malformed payload');
  if (checkMapping) {
    for (const e of batch) {
      if (typeof e.message !== 'string' || typeof e.ddsource !== 'string' || typeof e['otel.severity_number'] !== 'string') throw new Refusal(400, 'Bad Request', 'entry misses message, ddsource or otel.severity_number (--check-mapping)');
    }
  }
  return batch.length;
}

function accept(req, raw) {
  if (req.url.split('?')[0] !== '/api/v2/logs') throw new Refusal(404, 'Not Found', `unknown path ${req.url}`);
  if (req.method !== 'POST') throw new Refusal(405, 'Method Not Allowed', 'only POST');
  if (req.headers['dd-api-key'] !== apiKey) throw new Refusal(403, 'Forbidden', 'Forbidden');
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new Refusal(400, 'Bad Request', 'expected application/json');
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding !== 'gzip' && encoding !== 'deflate') throw new Refusal(415, 'Unsupported Media Type', `content-encoding ${encoding}`);
  let body = raw;
  try {
    if (encoding === 'gzip') body = gunzipSync(raw);
    else if (encoding === 'deflate') body = inflateSync(raw);
  } catch {
    throw new Refusal(400, 'Bad Request', 'Malformed payload');
  }
  if (body.length > MAX_BYTES) throw new Refusal(413, 'Payload Too Large', 'batch is above 5MB uncompressed');
  const text = body.toString('utf8');
  const n = requests % 50 === 0 ? checkEntries(text) : countEntries(text);
  if (n > MAX_ENTRIES) {
    if (!countOversized) throw new Refusal(413, 'Payload Too Large', `array of ${n} entries, above ${MAX_ENTRIES}`);
    oversized++;
  }
  return n;
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      entries += accept(req, Buffer.concat(chunks));
      requests++;
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    } catch (err) {
      malformed++;
      const status = err instanceof Refusal ? err.status : 400;
      const key = `${status} ${String(err.message).replace(/\d+/g, 'N')}`;
      if (!reported.has(key)) {
        reported.add(key);
        process.stderr.write(`datadog-sink: refused ${status}: ${err.message}\n`);
      }
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ status: String(status), title: err.title ?? 'Bad Request', detail: String(err.message) }] }));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.stdout.write(`ready ${server.address().port}\n`));
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'count') process.stdout.write(`count ${entries} ${requests} ${malformed} ${oversized}\n`);
  if (line === 'exit') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
