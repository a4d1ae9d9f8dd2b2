import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch, ProxyAgent, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { GatewayError } from '../../errors.js';
import { duration, httpUrl, TLS_VERSIONS, tlsClient } from '../../config/types.js';
import { registerSecret } from '../../telemetry/secrets.js';

/**
 * The one HTTP client every HTTP exporter sends through (the Collector's confighttp client): a
 * keep-alive connection pool that honours the exporter's `tls` block (ca_file, cert_file/key_file,
 * insecure_skip_verify, include_system_ca_certs_pool, min/max_version, server_name_override) and
 * `proxy_url`. undici, not node:http agents: one dispatcher serves both
 * the fetch-style senders and the raw `post` of the hot OTLP path, and its ProxyAgent tunnels through
 * an HTTP proxy with CONNECT for http and https targets alike. Per-request timeouts are the caller's
 * AbortSignal (the exporter's `timeout`), so a hung backend never holds a worker.
 */

/** The confighttp client keys every HTTP exporter accepts. Spread into an exporter's strictObject. */
export const httpClientShape = () => ({
  tls: tlsClient(),
  /** An http:// proxy; requests are tunnelled through it with CONNECT. Userinfo becomes Proxy-Authorization. */
  proxy_url: httpUrl()
    .transform((url) => {
      registerProxyCredentials(url);
      return url;
    })
    .optional(),
  // confighttp's socket buffer sizes: accepted so Collector configs load; Node sizes its own buffers.
  read_buffer_size: z.number().int().min(0).optional(),
  write_buffer_size: z.number().int().min(0).optional(),
  /** How long an idle keep-alive connection is kept (Go's IdleConnTimeout); 0 uses the default. */
  idle_conn_timeout: duration().optional(),
  /** Connections per backend host (Go's MaxConnsPerHost); 0 or absent: no limit. */
  max_conns_per_host: z.number().int().min(0).optional(),
  /** Every request on a new connection, closed after its answer (Go's DisableKeepAlives). */
  disable_keep_alives: z.boolean().optional(),
  // Go's transport pool sizes and HTTP/2 pings: accepted so Collector configs load. undici keeps
  // every idle connection up to max_conns_per_host, and the client speaks HTTP/1.1.
  max_idle_conns: z.number().int().min(0).optional(),
  max_idle_conns_per_host: z.number().int().min(0).optional(),
  http2_read_idle_timeout: duration().optional(),
  http2_ping_timeout: duration().optional(),
  cookies: z.strictObject({ enabled: z.boolean().default(false) }).optional(),
});

/** The proxy password, and the Basic value it is sent as, are secrets like any other credential. */
function registerProxyCredentials(url: string): void {
  const { username, password } = new URL(url);
  if (!password) return;
  const plain = decodeURIComponent(password);
  registerSecret(plain);
  registerSecret(password);
  registerSecret(Buffer.from(`${decodeURIComponent(username)}:${plain}`).toString('base64'));
}

export type TlsClientConfig = NonNullable<z.output<ReturnType<typeof tlsClient>>>;

export interface HttpClientSettings {
  tls?: TlsClientConfig;
  proxy_url?: string;
  idle_conn_timeout?: number;
  max_conns_per_host?: number;
  disable_keep_alives?: boolean;
}

export interface PostResponse {
  status: number;
  headers: Headers;
  /** At most `maxResponseBytes`; a backend's answer is small, and a runaway one must not fill memory. */
  body: Buffer;
}

export interface PostOptions {
  headers: Record<string, string>;
  /** The body, or its parts in order (written out one after another, never joined). */
  body: Uint8Array | readonly Uint8Array[];
  signal: AbortSignal;
  maxResponseBytes: number;
}

/**
 * Headers the connection owns. A user's `headers: {Connection: close}` is dropped rather than
 * handed to undici, which refuses the whole request over it (every send would fail, retried forever).
 */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'content-length']);

function requestHeaders(own: Record<string, string>, length: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(own)) if (!CONNECTION_HEADERS.has(name.toLowerCase())) out[name] = value;
  out['content-length'] = String(length);
  return out;
}

/**
 * An endpoint written as `http://user:pass@host` authenticates with Basic, as node:http and the
 * Collector's client do; undici would refuse the URL. The pair leaves the URL and becomes the
 * `Authorization` header, unless the exporter set one itself. (Both forms are registered secrets:
 * src/telemetry/secrets.ts redacts userinfo and its base64.)
 */
function withUserinfoAsBasic(url: URL | string, headers: Record<string, string>): { target: URL | string; headers: Record<string, string> } {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (!u.username && !u.password) return { target: url, headers };
  const pair = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  const target = new URL(u.href);
  target.username = '';
  target.password = '';
  const hasAuth = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  return { target, headers: hasAuth ? headers : { ...headers, authorization: `Basic ${Buffer.from(pair, 'utf8').toString('base64')}` } };
}

/** Idle connections close after this long, below the usual 60 s of load balancers, so a reused one is rarely already dead. */
const KEEP_ALIVE_TIMEOUT_MS = 30_000;

async function readTlsFile(path: string | undefined, key: string, where: string): Promise<Buffer | undefined> {
  if (!path) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    throw new GatewayError('COMPONENT_START_FAILED', `${where}.tls.${key}: cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
  }
  return h;
}

export class HttpClient {
  private dispatcher?: Promise<Dispatcher>;

  /** `where` names the exporter in errors (`exporters.datadog/eu`). */
  constructor(
    private readonly settings: HttpClientSettings,
    private readonly where = 'exporter',
  ) {}

  /** Reads the TLS files now, so a wrong path fails the start, not every send. */
  async start(): Promise<void> {
    await this.ready();
  }

  private ready(): Promise<Dispatcher> {
    if (!this.dispatcher) {
      const opening = this.open();
      // A failed open is not cached: the next start or send reads the files again.
      opening.catch(() => {
        if (this.dispatcher === opening) this.dispatcher = undefined;
      });
      this.dispatcher = opening;
    }
    return this.dispatcher;
  }

  private async open(): Promise<Dispatcher> {
    const { tls, proxy_url } = this.settings;
    const [ca, cert, key] = await Promise.all([
      readTlsFile(tls?.ca_file, 'ca_file', this.where),
      readTlsFile(tls?.cert_file, 'cert_file', this.where),
      readTlsFile(tls?.key_file, 'key_file', this.where),
    ]);
    const connect = {
      ca: ca && tls?.include_system_ca_certs_pool ? [...rootCertificates, ca] : ca,
      cert,
      key,
      rejectUnauthorized: !tls?.insecure_skip_verify,
      minVersion: tls?.min_version ? TLS_VERSIONS[tls.min_version] : undefined,
      maxVersion: tls?.max_version ? TLS_VERSIONS[tls.max_version] : undefined,
      ...(tls?.server_name_override ? { servername: tls.server_name_override } : {}),
    };
    const pool = {
      keepAliveTimeout: this.settings.idle_conn_timeout || KEEP_ALIVE_TIMEOUT_MS,
      ...(this.settings.max_conns_per_host ? { connections: this.settings.max_conns_per_host } : {}),
      // undici: pipelining 0 turns keep-alive off, each connection serves one request.
      ...(this.settings.disable_keep_alives ? { pipelining: 0 } : {}),
    };
    if (proxy_url) return new ProxyAgent({ uri: proxy_url, requestTls: connect, ...pool });
    return new Agent({ connect, ...pool });
  }

  /** The WHATWG fetch over this client's connections; a drop-in for the global fetch. */
  readonly fetch: typeof fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const dispatcher = await this.ready();
    return undiciFetch(input as never, { ...(init as object), dispatcher } as never);
  }) as typeof fetch;

  /** One POST with the body written as given (parts one after another), the answer read up to a bound. */
  async post(url: URL | string, options: PostOptions): Promise<PostResponse> {
    const dispatcher = await this.ready();
    const parts = options.body instanceof Uint8Array ? [options.body] : options.body;
    const length = parts.reduce((n, part) => n + part.byteLength, 0);
    const { target, headers } = withUserinfoAsBasic(url, requestHeaders(options.headers, length));
    const res = await request(target, {
      method: 'POST',
      dispatcher,
      signal: options.signal,
      headers,
      // An array of parts is written chunk by chunk (undici takes any iterable body): no joined copy.
      body: parts as never,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      // Keep reading past the bound (so the connection can be reused) but keep nothing more.
      if (size >= options.maxResponseBytes) continue;
      chunks.push(chunk);
      size += chunk.length;
    }
    return { status: res.statusCode, headers: toHeaders(res.headers), body: Buffer.concat(chunks).subarray(0, options.maxResponseBytes) };
  }

  async close(): Promise<void> {
    const pending = this.dispatcher;
    this.dispatcher = undefined;
    const d = await pending?.catch(() => undefined);
    // destroy, not close: a send still hanging on a dead backend must not hold the shutdown.
    await d?.destroy().catch(() => undefined);
  }
}
