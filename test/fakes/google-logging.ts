import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { jwtVerify, type CryptoKey, type KeyObject } from 'jose';

/**
 * A strict stand-in for Google's OAuth token endpoint, Cloud Logging `entries:write` and the GCE
 * metadata server, on one loopback server. It refuses what Google refuses, with Google's error
 * shapes: unsigned or mis-signed JWTs, wrong iss/aud/scope, assertions longer than an hour,
 * missing or expired Bearer tokens, non-JSON bodies, bodies above 10 MiB, malformed entries.
 */

export const LOGGING_WRITE_SCOPE = 'https://www.googleapis.com/auth/logging.write';
/** Google's request limit, as its error message states it. */
export const GOOGLE_MAX_REQUEST_BYTES = 10_485_760;
/** Google's per-entry limit (256 KiB). */
export const GOOGLE_MAX_ENTRY_BYTES = 262_144;
const SEVERITIES = new Set(['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY']);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export interface StoredEntry extends Record<string, unknown> {
  logName: string;
  resource: { type: string; labels?: Record<string, string> };
}

export interface GoogleFakeOptions {
  /** Public half of the test service account's key. */
  publicKey: CryptoKey | KeyObject;
  clientEmail: string;
  /** The only project the service account may write to. */
  project: string;
  /** Lifetime of issued tokens (`expires_in`), seconds. */
  tokenLifetimeS?: number;
}

export class GoogleLoggingFake {
  readonly entries: StoredEntry[] = [];
  readonly writeRequests: Array<{ bytes: number; entries: number; gzip: boolean; userAgent?: string }> = [];
  tokenRequests = 0;
  metadataTokenRequests = 0;
  private readonly tokens = new Map<string, number>(); // token → expiry (ms)
  private throttles: Array<{ status: number; retryAfterS?: number }> = [];
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly options: GoogleFakeOptions) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get tokenUri(): string {
    return `${this.baseUrl}/token`;
  }
  /** Value for GCE_METADATA_HOST. */
  get metadataHost(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err) => reply(res, 500, { error: { code: 500, message: String(err), status: 'INTERNAL' } }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Every token issued so far stops working (as if its hour had passed). */
  expireTokens(): void {
    for (const t of this.tokens.keys()) this.tokens.set(t, 0);
  }

  /** The next `count` writes are refused with `status` (429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE…). */
  throttleNext(count: number, status = 429, retryAfterS?: number): void {
    for (let i = 0; i < count; i++) this.throttles.push({ status, retryAfterS });
  }

  /** Entries as a Logs Explorer query shows them: same timestamp and insertId count once. */
  visibleEntries(): StoredEntry[] {
    const seen = new Set<string>();
    return this.entries.filter((e) => {
      const key = `${String(e.timestamp)}|${String(e.insertId)}`;
      if (e.insertId === undefined) return true;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  private issueToken(): { access_token: string; expires_in: number; token_type: string } {
    const lifetime = this.options.tokenLifetimeS ?? 3599;
    const token = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    this.tokens.set(token, Date.now() + lifetime * 1000);
    return { access_token: token, expires_in: lifetime, token_type: 'Bearer' };
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === '/token') return this.token(req, res);
    if (req.method === 'POST' && path === '/v2/entries:write') return this.write(req, res);
    if (req.method === 'GET' && path.startsWith('/computeMetadata/v1/')) return this.metadata(req, res, path);
    reply(res, 404, { error: { code: 404, message: `Method not found: ${req.method} ${path}`, status: 'NOT_FOUND' } });
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.tokenRequests++;
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      return reply(res, 400, { error: 'invalid_request', error_description: 'Invalid content type' });
    }
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return reply(res, 400, { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${form.get('grant_type') ?? ''}` });
    }
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(form.get('assertion') ?? '', this.options.publicKey, { algorithms: ['RS256'], issuer: this.options.clientEmail, audience: this.tokenUri }));
    } catch {
      return reply(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    const { iat, exp, scope } = payload as { iat?: number; exp?: number; scope?: string };
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp - iat > 3600) {
      return reply(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.' });
    }
    if (typeof scope !== 'string' || !scope.split(' ').includes(LOGGING_WRITE_SCOPE)) {
      return reply(res, 400, { error: 'invalid_scope', error_description: 'Invalid OAuth scope or ID token audience provided.' });
    }
    reply(res, 200, this.issueToken());
  }

  private async metadata(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.headers['metadata-flavor'] !== 'Google') {
      res.writeHead(403, { 'content-type': 'text/html' }).end('Missing required header: Metadata-Flavor');
      return;
    }
    res.setHeader('metadata-flavor', 'Google');
    if (path === '/computeMetadata/v1/instance/service-accounts/default/token') {
      this.metadataTokenRequests++;
      return reply(res, 200, this.issueToken());
    }
    if (path === '/computeMetadata/v1/project/project-id') {
      res.writeHead(200, { 'content-type': 'application/text' }).end(this.options.project);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/html' }).end('Not Found');
  }

  private async write(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
    const expiry = auth ? this.tokens.get(auth[1]) : undefined;
    if (expiry === undefined || expiry <= Date.now()) {
      await readBody(req);
      return googleError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    }
    const throttle = this.throttles.shift();
    if (throttle) {
      await readBody(req);
      if (throttle.retryAfterS !== undefined) res.setHeader('retry-after', String(throttle.retryAfterS));
      const status = throttle.status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE';
      return googleError(res, throttle.status, status, "Quota exceeded for quota metric 'Write requests' of service 'logging.googleapis.com'.");
    }
    if (!String(req.headers['content-type']).startsWith('application/json')) {
      await readBody(req);
      return googleError(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received. Unexpected token.');
    }
    const gzip = req.headers['content-encoding'] === 'gzip';
    let raw = await readBody(req);
    if (gzip) raw = gunzipSync(raw);
    this.writeRequests.push({ bytes: raw.length, entries: -1, gzip, userAgent: req.headers['user-agent'] });
    if (raw.length > GOOGLE_MAX_REQUEST_BYTES) {
      return googleError(res, 400, 'INVALID_ARGUMENT', `Request payload size exceeds the limit: ${GOOGLE_MAX_REQUEST_BYTES} bytes.`);
    }
    let body: { logName?: unknown; resource?: unknown; entries?: unknown; partialSuccess?: unknown };
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return googleError(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    }
    if (!Array.isArray(body.entries) || body.entries.length === 0) return googleError(res, 400, 'INVALID_ARGUMENT', 'entries: field is required.');
    this.writeRequests[this.writeRequests.length - 1].entries = body.entries.length;

    const entryErrors: Record<string, { code: number; message: string }> = {};
    const accepted: StoredEntry[] = [];
    body.entries.forEach((e: unknown, i: number) => {
      const entry = { ...(e as Record<string, unknown>) };
      entry.logName ??= body.logName;
      entry.resource ??= body.resource;
      const problem = this.entryProblem(entry, JSON.stringify(e));
      if (problem) entryErrors[String(i)] = { code: problem.code, message: problem.message };
      else accepted.push(entry as StoredEntry);
    });
    const failed = Object.keys(entryErrors).length;
    if (failed > 0 && body.partialSuccess !== true) return googleError(res, 400, 'INVALID_ARGUMENT', `Log entry with index ${Object.keys(entryErrors)[0]} is invalid.`);
    this.entries.push(...accepted);
    if (failed > 0) {
      return googleError(res, 400, 'INVALID_ARGUMENT', 'Log entries with invalid fields were not written.', [
        { '@type': 'type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors', logEntryErrors: entryErrors },
      ]);
    }
    reply(res, 200, {});
  }

  private entryProblem(entry: Record<string, unknown>, json: string): { code: number; message: string } | undefined {
    const logName = entry.logName;
    const m = typeof logName === 'string' ? /^projects\/([^/]+)\/logs\/([^/]+)$/.exec(logName) : null;
    if (!m) return { code: 3, message: `Invalid log name: ${String(logName)}` };
    if (m[1] !== this.options.project) return { code: 7, message: `The caller does not have permission to write to project ${m[1]}` };
    const resource = entry.resource as { type?: unknown; labels?: unknown } | undefined;
    if (typeof resource?.type !== 'string') return { code: 3, message: 'resource.type is required' };
    if (Buffer.byteLength(json) > GOOGLE_MAX_ENTRY_BYTES) return { code: 3, message: `Log entry with size ${Buffer.byteLength(json)} bytes exceeds maximum size of ${GOOGLE_MAX_ENTRY_BYTES} bytes` };
    if (entry.severity !== undefined && !SEVERITIES.has(entry.severity as string)) return { code: 3, message: `Invalid severity: ${String(entry.severity)}` };
    if (entry.timestamp !== undefined && !(typeof entry.timestamp === 'string' && RFC3339.test(entry.timestamp))) return { code: 3, message: 'Invalid timestamp' };
    const labels = entry.labels;
    if (labels !== undefined && (typeof labels !== 'object' || Object.values(labels as object).some((v) => typeof v !== 'string'))) return { code: 3, message: 'labels must be strings' };
    const payloads = ['textPayload', 'jsonPayload', 'protoPayload'].filter((k) => entry[k] !== undefined);
    if (payloads.length > 1) return { code: 3, message: 'A log entry can have only one payload' };
    if (entry.jsonPayload !== undefined && (typeof entry.jsonPayload !== 'object' || entry.jsonPayload === null || Array.isArray(entry.jsonPayload))) return { code: 3, message: 'jsonPayload must be an object' };
    if (entry.trace !== undefined && !/^projects\/[^/]+\/traces\/[0-9a-f]{32}$/.test(String(entry.trace))) return { code: 3, message: 'Invalid trace' };
    if (entry.spanId !== undefined && !/^[0-9a-f]{16}$/.test(String(entry.spanId))) return { code: 3, message: 'Invalid spanId' };
    return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body));
}

function googleError(res: ServerResponse, code: number, status: string, message: string, details?: unknown[]): void {
  reply(res, code, { error: { code, message, status, ...(details ? { details } : {}) } });
}
