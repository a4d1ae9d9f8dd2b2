import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A strict fake of Splunk's HTTP Event Collector (`/services/collector[/event]`,
 * `/services/collector/ack`), answering with HEC's status codes and `{"text","code"}` bodies
 * (Splunk "Troubleshoot HTTP Event Collector"). It checks:
 * - `Authorization: Splunk <token>`: missing → 401 code 2, malformed → 401 code 3, wrong → 403 code 4;
 * - with acknowledgment on: a `X-Splunk-Request-Channel` GUID (code 10 missing, 11 invalid), an
 *   `ackId` per accepted request, acks that turn true once the events are indexed and are
 *   forgotten once reported; `/ack` without acknowledgment on → code 14;
 * - the body: gzip when `Content-Encoding` says so, at most `maxContentLength` bytes (413), a
 *   sequence of JSON event objects, each with a non-blank `event` (12/13), a numeric `time` (6),
 *   flat `fields` (15), a known `index` (7); a refused request indexes nothing and names the
 *   first bad event in `invalid-event-number`.
 */

export interface HecEventRecord {
  time?: number;
  host?: string;
  source?: string;
  sourcetype?: string;
  index?: string;
  event: unknown;
  fields?: Record<string, unknown>;
}

export interface SplunkHecFake {
  url: string;
  /** Indexed events, in indexing order. */
  readonly events: HecEventRecord[];
  /** Headers of every accepted request. */
  readonly requests: { headers: IncomingMessage['headers']; events: number; ackId?: number }[];
  /** Refused requests as `status/code`. */
  readonly refusals: string[];
  /** Ack poll requests answered. */
  readonly ackPolls: { asked: number[]; answered: Record<string, boolean> }[];
  readonly emitter: EventEmitter;
  /** The next `times` requests (past auth) get 503 code 9 "Server is busy". */
  busyNext(times: number): void;
  /** The next `times` requests' acks turn true only after `ms` (the events are indexed then). */
  delayAcks(times: number, ms: number): void;
  /** The next `times` requests are accepted with an ackId but never indexed: their ack stays false. */
  loseAcks(times: number): void;
  /** While on, every connection is reset (the backend is down). */
  setOutage(on: boolean): void;
  close(): Promise<void>;
}

export interface SplunkHecFakeOptions {
  token: string;
  ack?: boolean;
  indexes?: string[];
  maxContentLength?: number;
  /** Echo the Authorization header in auth errors (a careless proxy), to test redaction. */
  echoCredentials?: boolean;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const HEC_DEFAULT_MAX_CONTENT_LENGTH = 2 * 1024 * 1024;

/** Splits `{…}{…} {…}` into the JSON texts of its objects; undefined at the first one that is not. */
export function splitEvents(text: string): { parts: string[]; badAt?: number } {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    if (text[i] !== '{') return { parts, badAt: parts.length };
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < text.length; j++) {
      const c = text[j]!;
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
    }
    if (depth !== 0 || j >= text.length) return { parts, badAt: parts.length };
    parts.push(text.slice(i, j + 1));
    i = j + 1;
  }
  return { parts };
}

const flatValue = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

function checkEvent(raw: string, indexes: Set<string>): { code: number; text: string } | HecEventRecord {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return { code: 6, text: 'Invalid data format' };
  }
  if (!('event' in e)) return { code: 12, text: 'Event field is required' };
  if (e.event === '' || e.event === null) return { code: 13, text: 'Event field cannot be blank' };
  if (e.time !== undefined && typeof e.time !== 'number' && !(typeof e.time === 'string' && !Number.isNaN(Number(e.time)))) return { code: 6, text: 'Invalid data format' };
  if (e.fields !== undefined) {
    if (e.fields === null || typeof e.fields !== 'object' || Array.isArray(e.fields)) return { code: 15, text: 'Error in handling indexed fields' };
    for (const v of Object.values(e.fields)) if (!flatValue(v) && !(Array.isArray(v) && v.every(flatValue))) return { code: 15, text: 'Error in handling indexed fields' };
  }
  if (e.index !== undefined && !indexes.has(String(e.index))) return { code: 7, text: 'Incorrect index' };
  return e as unknown as HecEventRecord;
}

export async function startSplunkHec(options: SplunkHecFakeOptions): Promise<SplunkHecFake> {
  const events: HecEventRecord[] = [];
  const requests: SplunkHecFake['requests'] = [];
  const refusals: string[] = [];
  const ackPolls: SplunkHecFake['ackPolls'] = [];
  const emitter = new EventEmitter();
  const indexes = new Set(options.indexes ?? ['main']);
  const maxContentLength = options.maxContentLength ?? HEC_DEFAULT_MAX_CONTENT_LENGTH;
  let busy = 0;
  const scriptedAcks: ({ delayMs: number } | 'lose')[] = [];
  /** channel → ackId → indexed? */
  const channels = new Map<string, { next: number; acks: Map<number, boolean> }>();
  const timers = new Set<NodeJS.Timeout>();

  const reply = (res: ServerResponse, status: number, body: Record<string, unknown>) => {
    if (status >= 300) refusals.push(`${status}/${String(body.code)}`);
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };

  const authorize = (req: IncomingMessage, res: ServerResponse): boolean => {
    const auth = req.headers.authorization;
    const echo = options.echoCredentials && auth ? ` (${auth})` : '';
    if (!auth) return reply(res, 401, { text: 'Token is required', code: 2 }), false;
    const m = /^Splunk (\S+)$/.exec(auth);
    if (!m) return reply(res, 401, { text: `Invalid authorization${echo}`, code: 3 }), false;
    if (m[1] !== options.token) return reply(res, 403, { text: `Invalid token${echo}`, code: 4 }), false;
    return true;
  };

  const channelOf = (req: IncomingMessage, res: ServerResponse): string | undefined => {
    const channel = (req.headers['x-splunk-request-channel'] as string | undefined) ?? new URL(req.url ?? '/', 'http://x').searchParams.get('channel') ?? undefined;
    if (!channel) return reply(res, 400, { text: 'Data channel is missing', code: 10 }), undefined;
    if (!GUID.test(channel)) return reply(res, 400, { text: 'Invalid data channel', code: 11 }), undefined;
    return channel;
  };

  const handleEvents = (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    if (!authorize(req, res)) return;
    const channel = options.ack ? channelOf(req, res) : undefined;
    if (options.ack && !channel) return;
    const encoding = req.headers['content-encoding'];
    let body: Buffer;
    try {
      if (encoding && encoding !== 'gzip') return reply(res, 415, { text: `Unsupported content encoding ${encoding}`, code: 6 });
      body = encoding === 'gzip' ? gunzipSync(raw) : raw;
    } catch {
      return reply(res, 400, { text: 'Invalid data format', code: 6 });
    }
    if (body.length > maxContentLength) return reply(res, 413, { text: `Content-Length of ${body.length} too large (maximum is ${maxContentLength})`, code: 27 });
    const { parts, badAt } = splitEvents(body.toString('utf8'));
    if (parts.length === 0 && badAt === undefined) return reply(res, 400, { text: 'No data', code: 5 });
    if (badAt !== undefined) return reply(res, 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': badAt });
    const checked: HecEventRecord[] = [];
    for (let i = 0; i < parts.length; i++) {
      const r = checkEvent(parts[i]!, indexes);
      if ('code' in r && typeof r.code === 'number' && !('event' in r)) return reply(res, 400, { ...r, 'invalid-event-number': i });
      checked.push(r as HecEventRecord);
    }
    if (busy > 0) {
      busy--;
      return reply(res, 503, { text: 'Server is busy', code: 9 });
    }
    let ackId: number | undefined;
    const index = () => {
      events.push(...checked);
      emitter.emit('events');
    };
    if (options.ack) {
      let ch = channels.get(channel!);
      if (!ch) channels.set(channel!, (ch = { next: 0, acks: new Map() }));
      ackId = ch.next++;
      const acks = ch.acks;
      const id = ackId;
      acks.set(id, false);
      const script = scriptedAcks.shift();
      if (script === 'lose') {
        // accepted, never indexed: the ack stays false
      } else if (script) {
        const t = setTimeout(() => {
          timers.delete(t);
          index();
          acks.set(id, true);
        }, script.delayMs);
        timers.add(t);
      } else {
        index();
        acks.set(id, true);
      }
    } else index();
    requests.push({ headers: req.headers, events: checked.length, ackId });
    reply(res, 200, ackId === undefined ? { text: 'Success', code: 0 } : { text: 'Success', code: 0, ackId });
  };

  const handleAck = (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    if (!authorize(req, res)) return;
    if (!options.ack) return reply(res, 400, { text: 'ACK is disabled', code: 14 });
    const channel = channelOf(req, res);
    if (!channel) return;
    let asked: unknown;
    try {
      asked = (JSON.parse(raw.toString('utf8')) as { acks?: unknown }).acks;
    } catch {
      return reply(res, 400, { text: 'Invalid data format', code: 6 });
    }
    if (!Array.isArray(asked) || !asked.every((n) => Number.isInteger(n))) return reply(res, 400, { text: 'Invalid data format', code: 6 });
    const acks = channels.get(channel)?.acks;
    const answered: Record<string, boolean> = {};
    for (const id of asked as number[]) {
      const done = acks?.get(id) === true;
      answered[String(id)] = done;
      if (done) acks!.delete(id); // Splunk forgets an ack once it reported it
    }
    ackPolls.push({ asked: asked as number[], answered });
    reply(res, 200, { acks: answered });
  };

  let down = false;
  const server: Server = createServer((req, res) => {
    if (down) return void req.socket.destroy(); // an outage: the connection is reset
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '');
      const raw = Buffer.concat(chunks);
      if (path === '/services/collector/health' && req.method === 'GET') return reply(res, 200, { text: 'HEC is healthy', code: 17 });
      if (req.method !== 'POST') return reply(res, 405, { text: 'Method Not Allowed', code: 6 });
      if (path === '/services/collector' || path === '/services/collector/event' || path === '/services/collector/event/1.0') return handleEvents(req, res, raw);
      if (path === '/services/collector/ack') return handleAck(req, res, raw);
      reply(res, 404, { text: 'The requested URL was not found on this server.', code: 404 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/services/collector`,
    events,
    requests,
    refusals,
    ackPolls,
    emitter,
    busyNext(times) {
      busy += times;
    },
    delayAcks(times, ms) {
      for (let i = 0; i < times; i++) scriptedAcks.push({ delayMs: ms });
    },
    loseAcks(times) {
      for (let i = 0; i < times; i++) scriptedAcks.push('lose');
    },
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
