import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A strict stand-in for Microsoft Entra ID's token endpoint and the Azure Monitor Logs Ingestion
 * API, on one loopback server. It refuses what Azure refuses, with Azure's error shapes: unknown
 * tenant, unknown client, wrong secret (401 invalid_client), wrong scope or grant; missing,
 * unknown or expired Bearer tokens; wrong DCR, stream or api-version; non-array bodies; bodies
 * above 1 MiB compressed or not (413); and throttles on demand (429 + Retry-After).
 */

export const AZURE_MAX_CALL_BYTES = 1_048_576;
export const MONITOR_SCOPE = 'https://monitor.azure.com//.default';

export interface AzureFakeOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  dcrImmutableId: string;
  streamName: string;
  /** `expires_in` of issued tokens, seconds. */
  tokenLifetimeS?: number;
  /** Lower the call limit to provoke 413s (Azure's is 1 MiB). */
  maxCallBytes?: number;
}

export class AzureIngestionFake {
  readonly rows: Array<Record<string, unknown>> = [];
  readonly uploads: Array<{ wireBytes: number; jsonBytes: number; rows: number; gzip: boolean }> = [];
  tokenRequests = 0;
  private readonly tokens = new Map<string, number>(); // token → expiry (ms)
  private throttles: number[] = [];
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly options: AzureFakeOptions) {}

  /** Serves as both `authority_host` and `endpoint`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err) => azureError(res, 500, 'InternalServerError', String(err)));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  expireTokens(): void {
    for (const t of this.tokens.keys()) this.tokens.set(t, 0);
  }

  /** The next `count` uploads get 429 with `Retry-After: retryAfterS`. */
  throttleNext(count: number, retryAfterS = 1): void {
    for (let i = 0; i < count; i++) this.throttles.push(retryAfterS);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (req.method === 'POST' && token) return this.token(req, res, decodeURIComponent(token[1]));
    const upload = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'POST' && upload) return this.upload(req, res, url, decodeURIComponent(upload[1]), decodeURIComponent(upload[2]));
    await readBody(req);
    azureError(res, 404, 'NotFound', `No route for ${req.method} ${url.pathname}`);
  }

  private async token(req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
    this.tokenRequests++;
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    const o = this.options;
    if (tenant !== o.tenantId) return entraError(res, 400, 'invalid_request', 90002, `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID.`);
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      return entraError(res, 400, 'invalid_request', 900144, "AADSTS900144: The request body must contain the following parameter: 'grant_type'.");
    }
    if (form.get('grant_type') !== 'client_credentials') return entraError(res, 400, 'unsupported_grant_type', 70003, 'AADSTS70003: The app requested an unsupported grant type.');
    if (form.get('client_id') !== o.clientId) return entraError(res, 400, 'unauthorized_client', 700016, `AADSTS700016: Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory.`);
    if (form.get('client_secret') !== o.clientSecret) {
      return entraError(res, 401, 'invalid_client', 7000215, 'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
    }
    if (form.get('scope') !== MONITOR_SCOPE) return entraError(res, 400, 'invalid_scope', 70011, `AADSTS70011: The provided value for the input parameter 'scope' is not valid.`);
    const lifetime = o.tokenLifetimeS ?? 3599;
    const access = `eyJ0eXAi.fake-${randomBytes(24).toString('base64url')}`;
    this.tokens.set(access, Date.now() + lifetime * 1000);
    reply(res, 200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: access });
  }

  private async upload(req: IncomingMessage, res: ServerResponse, url: URL, dcr: string, stream: string): Promise<void> {
    const raw = await readBody(req);
    const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
    const expiry = auth ? this.tokens.get(auth[1]) : undefined;
    if (expiry === undefined) return azureError(res, 401, 'InvalidToken', 'The provided access token is invalid.');
    if (expiry <= Date.now()) return azureError(res, 401, 'InvalidToken', 'The provided access token has expired.');
    if (url.searchParams.get('api-version') !== '2023-01-01') return azureError(res, 400, 'InvalidApiVersion', `The api-version '${url.searchParams.get('api-version') ?? ''}' is invalid.`);
    if (dcr !== this.options.dcrImmutableId) return azureError(res, 404, 'NotFound', `Data collection rule with immutable Id '${dcr}' not found.`);
    if (stream !== this.options.streamName) return azureError(res, 400, 'InvalidStream', `Stream '${stream}' is not defined in the data collection rule.`);
    const retryAfter = this.throttles.shift();
    if (retryAfter !== undefined) {
      res.setHeader('retry-after', String(retryAfter));
      return azureError(res, 429, 'TooManyRequests', 'Rate limit exceeded. Retry after some time.');
    }
    if (!String(req.headers['content-type']).startsWith('application/json')) return azureError(res, 415, 'UnsupportedMediaType', 'Content-Type must be application/json.');
    const gzip = req.headers['content-encoding'] === 'gzip';
    const limit = this.options.maxCallBytes ?? AZURE_MAX_CALL_BYTES;
    if (raw.length > limit) return tooLarge(res, raw.length, limit);
    let json: Buffer;
    try {
      json = gzip ? gunzipSync(raw) : raw;
    } catch {
      return azureError(res, 400, 'InvalidContentEncoding', 'The request body could not be decompressed.');
    }
    if (json.length > limit) return tooLarge(res, json.length, limit);
    let rows: unknown;
    try {
      rows = JSON.parse(json.toString('utf8'));
    } catch {
      return azureError(res, 400, 'InvalidContent', 'The request body is not valid JSON.');
    }
    if (!Array.isArray(rows)) return azureError(res, 400, 'InvalidContent', 'The request body must be a JSON array.');
    for (const row of rows) {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) return azureError(res, 400, 'InvalidContent', 'Each element must be a JSON object.');
      const t = (row as Record<string, unknown>).TimeGenerated;
      if (typeof t !== 'string' || Number.isNaN(Date.parse(t))) return azureError(res, 400, 'InvalidContent', 'TimeGenerated must be an ISO 8601 datetime.');
    }
    this.uploads.push({ wireBytes: raw.length, jsonBytes: json.length, rows: rows.length, gzip });
    this.rows.push(...(rows as Array<Record<string, unknown>>));
    res.writeHead(204).end();
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
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function azureError(res: ServerResponse, status: number, code: string, message: string): void {
  reply(res, status, { error: { code, message } });
}

function tooLarge(res: ServerResponse, bytes: number, limit: number): void {
  azureError(res, 413, 'ContentLengthLimitExceeded', `Maximum allowed content length: ${limit} bytes (1 MB). Provided content length: ${bytes} bytes.`);
}

function entraError(res: ServerResponse, status: number, error: string, code: number, description: string): void {
  const traceId = randomBytes(16).toString('hex');
  reply(res, status, {
    error,
    error_description: `${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${randomBytes(16).toString('hex')}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: traceId,
  });
}
