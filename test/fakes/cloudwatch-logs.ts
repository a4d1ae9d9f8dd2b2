import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4, type KnownKey } from './sigv4-verify.js';

/**
 * A strict fake of the CloudWatch Logs API (JSON protocol, `X-Amz-Target: Logs_20140328.<Op>`,
 * `Content-Type: application/x-amz-json-1.1`) for PutLogEvents, CreateLogGroup, CreateLogStream
 * and PutRetentionPolicy. Every request's SigV4 signature is verified with the test credentials
 * (sigv4-verify.ts). PutLogEvents enforces the API reference's rules and answers as CloudWatch
 * does: 1..10,000 events, ≤ 1,048,576 bytes (UTF-8 messages + 26 each), an event ≤ 256 KiB with
 * its 26 bytes, non-empty messages, chronological order, a span ≤ 24 h
 * (InvalidParameterException); a missing group or stream (ResourceNotFoundException); events
 * older than 14 days, older than the group's retention, or more than 2 h ahead are not stored and
 * reported in `rejectedLogEventsInfo`. Scriptable: throttling, unavailability, an outage
 * (connections refused on the same port), and "poison" events refused with
 * InvalidParameterException.
 */

export const CW_MAX_EVENTS = 10_000;
export const CW_MAX_REQUEST_BYTES = 1_048_576;
export const CW_EVENT_OVERHEAD = 26;
export const CW_MAX_EVENT_BYTES = 262_144;
const DAY_MS = 86_400_000;
const RETENTION_DAYS = new Set([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]);

export interface StoredEvent {
  timestamp: number;
  message: string;
}

export interface LogGroup {
  tags: Record<string, string>;
  retentionInDays?: number;
  streams: Map<string, StoredEvent[]>;
}

export interface CallRecord {
  operation: string;
  status: number;
  /** The error type, when refused. */
  type?: string;
  events?: number;
  bytes?: number;
  accessKeyId?: string;
  userAgent?: string;
}

export interface CloudWatchLogsFake {
  readonly url: string;
  readonly region: string;
  readonly groups: Map<string, LogGroup>;
  readonly calls: CallRecord[];
  /** Events of one stream in arrival order. */
  events(group: string, stream: string): StoredEvent[];
  addKey(accessKeyId: string, key: KnownKey): void;
  expireKey(accessKeyId: string): void;
  createGroup(name: string, streams?: string[]): void;
  /** Answer the next `times` valid calls of `operation` (any when omitted) with this AWS error. */
  failNext(times: number, type: 'ThrottlingException' | 'ServiceUnavailableException' | 'OperationAbortedException', operation?: string): void;
  /** A PutLogEvents holding an event whose message matches is refused with InvalidParameterException. */
  poison(predicate: (message: string) => boolean): void;
  /** Refuse connections (the port is closed) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

interface Options {
  region?: string;
  keys?: Record<string, KnownKey>;
  now?: () => number;
}

class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new AwsError(400, 'InvalidParameterException', message);

export async function startCloudWatchLogsFake(options: Options = {}): Promise<CloudWatchLogsFake> {
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? Date.now;
  const keys = new Map(Object.entries(options.keys ?? {}));
  const groups = new Map<string, LogGroup>();
  const calls: CallRecord[] = [];
  const scripted: { type: string; operation?: string }[] = [];
  let poisoned: ((message: string) => boolean) | undefined;
  let sequence = 0;

  const scriptedFailure = (operation: string): AwsError | undefined => {
    const i = scripted.findIndex((s) => !s.operation || s.operation === operation);
    if (i < 0) return undefined;
    const [{ type }] = scripted.splice(i, 1);
    if (type === 'ThrottlingException') return new AwsError(400, type, 'Rate exceeded');
    if (type === 'ServiceUnavailableException') return new AwsError(500, type, 'The service is unavailable. Please try again later.');
    return new AwsError(400, type, 'A conflicting operation is currently in progress against this resource.');
  };

  const group = (name: unknown): LogGroup => {
    const g = typeof name === 'string' ? groups.get(name) : undefined;
    if (!g) throw new AwsError(400, 'ResourceNotFoundException', 'The specified log group does not exist.');
    return g;
  };

  function putLogEvents(body: Record<string, any>, record: CallRecord): Record<string, unknown> {
    const events = body.logEvents;
    if (!Array.isArray(events) || events.length < 1) throw invalid('1 validation error detected: Value at \'logEvents\' failed to satisfy constraint: Member must have length greater than or equal to 1');
    if (events.length > CW_MAX_EVENTS) throw invalid(`1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to ${CW_MAX_EVENTS}`);
    let total = 0;
    for (const e of events) {
      if (typeof e?.timestamp !== 'number' || !Number.isInteger(e.timestamp) || typeof e?.message !== 'string') throw new AwsError(400, 'SerializationException', 'logEvents members need a numeric timestamp and a string message');
      if (e.message.length === 0) throw invalid("1 validation error detected: Value at 'logEvents.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1");
      const size = Buffer.byteLength(e.message) + CW_EVENT_OVERHEAD;
      if (size > CW_MAX_EVENT_BYTES) throw invalid(`Log event too large: ${size} bytes exceeds limit of ${CW_MAX_EVENT_BYTES}`);
      total += size;
    }
    record.events = events.length;
    record.bytes = total;
    if (total > CW_MAX_REQUEST_BYTES) throw invalid(`Upload too large: ${total} bytes exceeds limit of ${CW_MAX_REQUEST_BYTES}`);
    for (let i = 1; i < events.length; i++) if (events[i].timestamp < events[i - 1].timestamp) throw invalid('Log events in a single PutLogEvents request must be in chronological order.');
    if (events[events.length - 1].timestamp - events[0].timestamp > DAY_MS) throw invalid('Log events in a single PutLogEvents request cannot span more than 24 hours.');
    const g = group(body.logGroupName);
    const stream = typeof body.logStreamName === 'string' ? g.streams.get(body.logStreamName) : undefined;
    if (!stream) throw new AwsError(400, 'ResourceNotFoundException', 'The specified log stream does not exist.');
    if (poisoned && events.some((e: StoredEvent) => poisoned!(e.message))) throw invalid('The log event contains a value CloudWatch Logs refuses.');
    const t = now();
    const info: Record<string, number> = {};
    events.forEach((e: StoredEvent, i: number) => {
      if (e.timestamp < t - 14 * DAY_MS) info.tooOldLogEventEndIndex = i;
      else if (g.retentionInDays && e.timestamp < t - g.retentionInDays * DAY_MS) info.expiredLogEventEndIndex = i;
      else if (e.timestamp > t + 2 * 3_600_000) info.tooNewLogEventStartIndex ??= i;
      else stream.push({ timestamp: e.timestamp, message: e.message });
    });
    return { nextSequenceToken: String(++sequence).padStart(56, '0'), ...(Object.keys(info).length > 0 ? { rejectedLogEventsInfo: info } : {}) };
  }

  const NAME_RE = /^[.\-_/#A-Za-z0-9]{1,512}$/;
  const operations: Record<string, (body: Record<string, any>, record: CallRecord) => Record<string, unknown>> = {
    PutLogEvents: putLogEvents,
    CreateLogGroup(body) {
      if (typeof body.logGroupName !== 'string' || !NAME_RE.test(body.logGroupName)) throw invalid('Invalid log group name');
      if (groups.has(body.logGroupName)) throw new AwsError(400, 'ResourceAlreadyExistsException', 'The specified log group already exists');
      const tags = body.tags ?? {};
      if (typeof tags !== 'object' || Object.keys(tags).length > 50) throw invalid('Too many tags');
      groups.set(body.logGroupName, { tags, streams: new Map() });
      return {};
    },
    CreateLogStream(body) {
      const g = group(body.logGroupName);
      if (typeof body.logStreamName !== 'string' || !/^[^:*]{1,512}$/.test(body.logStreamName)) throw invalid('Invalid log stream name');
      if (g.streams.has(body.logStreamName)) throw new AwsError(400, 'ResourceAlreadyExistsException', 'The specified log stream already exists');
      g.streams.set(body.logStreamName, []);
      return {};
    },
    PutRetentionPolicy(body) {
      const g = group(body.logGroupName);
      if (!RETENTION_DAYS.has(body.retentionInDays)) throw invalid(`1 validation error detected: Value '${body.retentionInDays}' at 'retentionInDays' failed to satisfy constraint`);
      g.retentionInDays = body.retentionInDays;
      return {};
    },
  };

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer) {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('Logs_20140328.') ? target.slice('Logs_20140328.'.length) : target;
    const record: CallRecord = { operation, status: 200, userAgent: req.headers['user-agent'] };
    calls.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${calls.length}`, ...headers }).end(JSON.stringify(body));
    };
    try {
      if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/') throw new AwsError(404, 'UnknownOperationException', 'only POST / is served');
      const auth = verifySigV4({ method: req.method, url: req.url ?? '/', headers: req.headers, body: raw }, { region, service: 'logs', keys: (id) => keys.get(id) });
      if (!auth.ok) throw new AwsError(auth.status, auth.type, auth.message);
      record.accessKeyId = auth.accessKeyId;
      if (!target.startsWith('Logs_20140328.') || !operations[operation]) throw new AwsError(400, 'UnknownOperationException', `unknown X-Amz-Target ${target}`);
      if (req.headers['content-type'] !== 'application/x-amz-json-1.1') throw new AwsError(400, 'SerializationException', 'Content-Type must be application/x-amz-json-1.1');
      let body: Record<string, any>;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new AwsError(400, 'SerializationException', 'Start of structure or map found where not expected.');
      }
      const failure = scriptedFailure(operation);
      if (failure) throw failure;
      send(200, operations[operation](body, record));
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      record.type = err.type;
      send(err.status, { __type: err.type, message: err.message }, { 'x-amzn-errortype': `${err.type}:http://internal.amazon.com/coral/com.amazonaws.logs/` });
    }
  }

  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handle(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.closeAllConnections();
      s.close(() => resolve());
    });
  await listen();

  return {
    url: `http://127.0.0.1:${port}`,
    region,
    groups,
    calls,
    events: (g, s) => groups.get(g)?.streams.get(s) ?? [],
    addKey: (id, key) => void keys.set(id, key),
    expireKey(id) {
      const k = keys.get(id);
      if (k) k.expired = true;
    },
    createGroup(name, streams = []) {
      groups.set(name, { tags: {}, streams: new Map(streams.map((s) => [s, []])) });
    },
    failNext(times, type, operation) {
      for (let i = 0; i < times; i++) scripted.push({ type, operation });
    },
    poison(predicate) {
      poisoned = predicate;
    },
    down: stop,
    up: listen,
    close: stop,
  };
}
