import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A strict fake of Elasticsearch's `POST /_bulk` (Bulk API reference), holding its documents so a
 * test can ask what the index holds. What it checks, as Elasticsearch does:
 * - auth: `Authorization: Basic …` for the configured user/password or `ApiKey …`; else 401
 *   with a `security_exception` body;
 * - `Content-Type: application/x-ndjson` (or application/json), gzip if `Content-Encoding` says
 *   so, the body ending in a newline, action/source lines that parse; else 400 `parse_exception`
 *   or `illegal_argument_exception` for the whole request;
 * - `http.max_content_length` (413);
 * - data streams (names `logs-*-*`, ES's built-in template): only `create`, `@timestamp` required;
 * - `create` with an existing `_id`: 409 `version_conflict_engine_exception` for that item;
 * - dynamic mapping: a field first seen as a number refuses a non-numeric string later (400
 *   `document_parsing_exception`), an object refuses a scalar and back: a poison document.
 */

export type EsDocument = Record<string, unknown>;

export interface EsAuth {
  user?: string;
  password?: string;
  apiKey?: string;
}

export interface ElasticsearchBulkFake {
  url: string;
  /** index → _id → document source. */
  readonly indices: Map<string, Map<string, EsDocument>>;
  /** Every `_bulk` request that reached the item stage, as (action, index, id) lists. */
  readonly bulkRequests: { action: string; index: string; id?: string; status: number }[][];
  /** Statuses of requests refused as a whole. */
  readonly refusals: number[];
  /** Emits 'documents' after every stored document. */
  readonly events: EventEmitter;
  documents(index?: string): EsDocument[];
  count(): number;
  /** The next `times` requests (past auth) are answered with this status for the whole request. */
  failNext(times: number, status: number): void;
  /** The next `items` items are answered 429 `es_rejected_execution_exception` (thread pool full). */
  rejectItems(items: number, status?: number): void;
  /** Store without checks (a document already indexed, e.g. before a crash). */
  seed(index: string, id: string, doc: EsDocument): void;
  /** Index each request at once but answer it `ms` later. */
  setResponseDelay(ms: number): void;
  /** Requests indexed but not yet answered. */
  inFlight(): number;
  /** While on, every connection is reset (the backend is down). */
  setOutage(on: boolean): void;
  close(): Promise<void>;
}

export const ES_DEFAULT_MAX_CONTENT_LENGTH = 100 * 1024 * 1024;
const DATA_STREAM = /^(logs|metrics|traces|synthetics)-[^-]+-[^-]+$/;

type FieldType = 'number' | 'string' | 'boolean' | 'object';

export async function startElasticsearchBulk(options: { auth: EsAuth; maxContentLength?: number; echoCredentialsOnAuthFailure?: boolean }): Promise<ElasticsearchBulkFake> {
  const indices = new Map<string, Map<string, EsDocument>>();
  const mappings = new Map<string, Map<string, FieldType>>();
  const bulkRequests: ElasticsearchBulkFake['bulkRequests'] = [];
  const refusals: number[] = [];
  const events = new EventEmitter();
  const scriptedRequests: number[] = [];
  const scriptedItems: number[] = [];
  const maxContentLength = options.maxContentLength ?? ES_DEFAULT_MAX_CONTENT_LENGTH;

  const expectedAuth = new Set<string>();
  if (options.auth.user !== undefined) expectedAuth.add(`Basic ${Buffer.from(`${options.auth.user}:${options.auth.password ?? ''}`).toString('base64')}`);
  if (options.auth.apiKey !== undefined) expectedAuth.add(`ApiKey ${options.auth.apiKey}`);

  const refuse = (res: ServerResponse, status: number, type: string, reason: string) => {
    refusals.push(status);
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { root_cause: [{ type, reason }], type, reason }, status }));
  };

  const indexMap = (name: string) => {
    let m = indices.get(name);
    if (!m) indices.set(name, (m = new Map()));
    return m;
  };

  /** Dynamic mapping, top-level and nested fields by dotted path; the error ES gives, or undefined. */
  const mapDocument = (index: string, doc: EsDocument): string | undefined => {
    let m = mappings.get(index);
    if (!m) mappings.set(index, (m = new Map()));
    const seen: [string, FieldType][] = [];
    const walk = (prefix: string, value: unknown): string | undefined => {
      if (value === null || value === undefined || Array.isArray(value)) return undefined;
      const type: FieldType = typeof value === 'object' ? 'object' : (typeof value as FieldType);
      const known = m.get(prefix);
      if (known && known !== type) {
        const numeric = known === 'number' && type === 'string' && (value as string).trim() !== '' && !Number.isNaN(Number(value));
        const stringy = known === 'string' && (type === 'number' || type === 'boolean');
        if (!numeric && !stringy) return `failed to parse field [${prefix}] of type [${known === 'number' ? 'long' : known === 'string' ? 'keyword' : known}] in document`;
      }
      if (!known) seen.push([prefix, type]);
      if (type === 'object') {
        for (const [k, v] of Object.entries(value as object)) {
          const err = walk(prefix ? `${prefix}.${k}` : k, v);
          if (err) return err;
        }
      }
      return undefined;
    };
    const err = walk('', doc);
    if (!err) for (const [path, type] of seen) if (path) m.set(path, type);
    return err;
  };

  const handleBulk = (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    const auth = req.headers.authorization ?? '';
    if (!expectedAuth.has(auth)) {
      const shown = options.echoCredentialsOnAuthFailure ? ` [${auth}]` : '';
      refusals.push(401);
      const reason = `unable to authenticate user${shown} for REST request [/_bulk]`;
      return res
        .writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Basic realm="security" charset="UTF-8", ApiKey' })
        .end(JSON.stringify({ error: { type: 'security_exception', reason }, status: 401 }));
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (type !== 'application/x-ndjson' && type !== 'application/json') return refuse(res, 406, 'media_type_header_exception', `Content-Type header [${type}] is not supported`);
    const encoding = req.headers['content-encoding'];
    let body: Buffer;
    try {
      if (encoding && encoding !== 'gzip') return refuse(res, 400, 'illegal_argument_exception', `unsupported content encoding [${encoding}]`);
      body = encoding === 'gzip' ? gunzipSync(raw) : raw;
    } catch {
      return refuse(res, 400, 'parse_exception', 'request body is not valid gzip');
    }
    if (body.length > maxContentLength) return refuse(res, 413, 'content_too_long', `request body is larger than http.max_content_length [${maxContentLength}]`);
    const text = body.toString('utf8');
    if (text.length === 0) return refuse(res, 400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
    if (!text.endsWith('\n')) return refuse(res, 400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]');
    const lines = text.slice(0, -1).split('\n');
    const ops: { action: string; meta: Record<string, unknown>; doc: EsDocument }[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      let action: Record<string, Record<string, unknown>>;
      let doc: unknown;
      try {
        action = JSON.parse(lines[i]!) as typeof action;
        doc = JSON.parse(lines[i + 1] ?? '');
      } catch {
        return refuse(res, 400, 'x_content_parse_exception', `malformed action/metadata or source line [${i + 1}]`);
      }
      const keys = Object.keys(action);
      if (keys.length !== 1 || !['create', 'index'].includes(keys[0]!)) return refuse(res, 400, 'illegal_argument_exception', `Malformed action/metadata line [${i + 1}], expected create or index`);
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return refuse(res, 400, 'parse_exception', `source line [${i + 2}] is not an object`);
      ops.push({ action: keys[0]!, meta: action[keys[0]!] ?? {}, doc: doc as EsDocument });
    }
    const scripted = scriptedRequests.shift();
    if (scripted !== undefined) return refuse(res, scripted, scripted === 429 ? 'es_rejected_execution_exception' : 'unavailable_shards_exception', `scripted failure ${scripted}`);
    const items = ops.map(({ action, meta, doc }) => {
      const index = typeof meta._index === 'string' ? meta._index : '';
      const given = typeof meta._id === 'string' ? meta._id : undefined;
      const id = given ?? randomUUID();
      const fail = (status: number, type: string, reason: string) => ({ [action]: { _index: index, _id: id, status, error: { type, reason, index } } });
      if (!index) return fail(400, 'action_request_validation_exception', 'index is missing');
      const rejected = scriptedItems.shift();
      if (rejected !== undefined) return fail(rejected, 'es_rejected_execution_exception', 'rejected execution of coordinating operation');
      const dataStream = DATA_STREAM.test(index);
      if (dataStream && action !== 'create') return fail(400, 'illegal_argument_exception', `only write ops with an op_type of create are allowed in data streams`);
      if (dataStream && typeof doc['@timestamp'] !== 'string' && typeof doc['@timestamp'] !== 'number') return fail(400, 'document_parsing_exception', 'data stream timestamp field [@timestamp] is missing');
      const docs = indexMap(index);
      const exists = docs.has(id);
      if (action === 'create' && exists) return fail(409, 'version_conflict_engine_exception', `[${id}]: version conflict, document already exists (current version [1])`);
      const mappingError = mapDocument(index, doc);
      if (mappingError) return fail(400, 'document_parsing_exception', mappingError);
      docs.set(id, doc);
      return { [action]: { _index: index, _id: id, _version: 1, result: exists ? 'updated' : 'created', status: exists ? 200 : 201 } };
    });
    bulkRequests.push(items.map((it) => {
      const [action, r] = Object.entries(it)[0]! as [string, { _index: string; _id: string; status: number }];
      return { action, index: r._index, id: r._id, status: r.status };
    }));
    const errors = items.some((it) => Object.values(it)[0]!.status >= 300);
    const answer = () => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ took: 1, errors, items }));
    events.emit('documents');
    if (responseDelayMs <= 0) return answer();
    // Indexed now, answered later: a client that dies in between never learns it was delivered.
    inFlight++;
    const timer = setTimeout(() => {
      inFlight--;
      timers.delete(timer);
      answer();
    }, responseDelayMs);
    timers.add(timer);
  };

  let down = false;
  let responseDelayMs = 0;
  let inFlight = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    if (down) return void req.socket.destroy(); // an outage: the connection is reset
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path !== '/_bulk') return refuse(res, 404, 'no_handler_found_exception', `no handler found for uri [${path}]`);
      if (req.method !== 'POST' && req.method !== 'PUT') return refuse(res, 405, 'method_not_allowed', `Incorrect HTTP method for uri [${path}]`);
      handleBulk(req, res, Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    indices,
    bulkRequests,
    refusals,
    events,
    documents: (index) => (index ? [...(indices.get(index)?.values() ?? [])] : [...indices.values()].flatMap((m) => [...m.values()])),
    count: () => [...indices.values()].reduce((n, m) => n + m.size, 0),
    failNext(times, status) {
      for (let i = 0; i < times; i++) scriptedRequests.push(status);
    },
    rejectItems(items, status = 429) {
      for (let i = 0; i < items; i++) scriptedItems.push(status);
    },
    seed(index, id, doc) {
      indexMap(index).set(id, doc);
    },
    setResponseDelay(ms) {
      responseDelayMs = ms;
    },
    inFlight: () => inFlight,
    setOutage(on: boolean) {
      down = on;
      if (on) server.closeAllConnections();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
