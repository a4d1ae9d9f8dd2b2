import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { zstdCompress } from '../../compression/zstd.js';
import { exportResponseFromJson, logsToJson } from '../../pdata/json.js';
import { decodeExportResponse, type ExportResponse } from '../../pdata/proto.js';
import { decodeStatus } from '../../transport/rpc-status.js';
import type { Logger } from '../../telemetry/logger.js';
import { redact } from '../../telemetry/secrets.js';
import { resolveClientAuthenticator, sendWithClientAuth, type ClientAuthenticator } from '../../extensions/client-auth.js';
import type { Host } from '../../pipeline/component.js';
import { classifyHttpFailure, classifyNetworkError } from '../helper/classify.js';
import { TokenError } from '../helper/token-cache.js';
import { success, type ExportRequest, type LogsSender, type SendResult } from '../helper/sender.js';
import { otlphttpUrl, type OtlpHttpConfig } from './config.js';
import { GatewayError } from '../../errors.js';
import { REQUEST_DEF, type Signal } from '../../pdata/signal.js';
import { protoToJson } from '../../pdata/schema-codec.js';
import { HttpClient } from '../helper/http-client.js';

/** Responses are ExportLogsServiceResponse or a google.rpc.Status: small. Anything beyond is cut. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const USER_AGENT = 'make-otel-gateway';

const CONTENT_TYPE = { proto: 'application/x-protobuf', json: 'application/json' } as const;

const gzip = promisify(zlib.gzip);
type Compress = (data: Uint8Array) => Promise<Buffer>;
/**
 * gzip runs on libuv's thread pool (async zlib), off the event loop; so does zstd on Node ≥ 22.15
 * (see compression/zstd.ts for Node 20).
 */
function compressor(kind: OtlpHttpConfig['compression']): Compress | undefined {
  if (kind === 'gzip') return (d) => gzip(d);
  if (kind === 'zstd') return zstdCompress;
  return undefined;
}

export interface OtlpHttpSenderOptions {
  config: Pick<OtlpHttpConfig, 'endpoint' | 'logs_endpoint' | 'headers' | 'compression' | 'encoding' | 'tls' | 'proxy_url'> &
    Partial<Pick<OtlpHttpConfig, 'auth' | 'traces_endpoint' | 'metrics_endpoint'>>;
  /** The signal this sender posts (logs when absent): picks the URL and the JSON encoding. */
  signal?: Signal;
  logger: Logger;
  /** The exporter's id, for messages that name its config keys. */
  id?: string;
}

/**
 * OTLP/HTTP logs: POST an ExportLogsServiceRequest to `/v1/logs`. With protobuf encoding the
 * queued bytes go out as stored (no decode); JSON needs the decoded request. Answers are classified
 * by the shared OTLP rules; a 2xx with partial_success is a success that counts its rejections.
 */
export class OtlpHttpLogsSender implements LogsSender {
  private readonly url: URL;
  private readonly compress: Compress | undefined;
  private readonly headers: Record<string, string>;
  private readonly http: HttpClient;
  private auth?: ClientAuthenticator;

  get sendsBytes(): boolean {
    return this.options.config.encoding === 'proto';
  }

  constructor(private readonly options: OtlpHttpSenderOptions) {
    const { config } = options;
    const signal = options.signal ?? 'logs';
    const url = otlphttpUrl(config, signal);
    if (!url) throw new GatewayError('CONFIG_INVALID', `exporters.${options.id ?? 'otlphttp'}: used in a ${signal} pipeline but has neither endpoint nor ${signal}_endpoint`);
    this.url = url;
    this.compress = compressor(config.compression);
    this.http = new HttpClient(config, `exporters.${options.id ?? 'otlphttp'}`);
    this.headers = {
      'User-Agent': USER_AGENT,
      ...config.headers,
      'Content-Type': CONTENT_TYPE[config.encoding],
      ...(this.compress ? { 'Content-Encoding': config.compression } : {}),
    };
  }

  /** Reads the TLS files and finds the authenticator now, so a mistake fails the start, not every send. */
  async start(host?: Host): Promise<void> {
    const { auth } = this.options.config;
    if (auth && host) this.auth = resolveClientAuthenticator(host, auth.authenticator, `exporters.${this.options.id ?? 'otlphttp'}.auth.authenticator`);
    await this.http.start();
  }

  async shutdown(): Promise<void> {
    await this.http.close();
  }

  async send(request: ExportRequest, signal: AbortSignal): Promise<SendResult> {
    if (request.records === 0) return success();
    const encoding = this.options.config.encoding;
    const payload = () => (encoding === 'json' ? jsonBody(request) : request.bytes());
    // Uncompressed protobuf: a batch's requests go out as they are queued, not joined into one
    // buffer first (that copy was 4 % of the event loop with the default batch of 8192 records).
    const body = this.compress ? await this.compress(payload()) : encoding === 'json' ? payload() : (request.parts?.() ?? request.bytes());
    let res;
    try {
      res = await sendWithClientAuth(this.auth, this.headers, signal, (headers) => this.http.post(this.url, { headers, body, signal, maxResponseBytes: MAX_RESPONSE_BYTES }));
    } catch (err) {
      if (err instanceof TokenError) return scrub(err.result);
      return scrub(classifyNetworkError(err));
    }
    if (res.status >= 200 && res.status < 300) return this.accepted(res.headers.get('content-type'), res.body);
    return scrub(classifyHttpFailure(res.status, res.headers, errorMessage(res.headers.get('content-type'), res.body)));
  }

  /** A 2xx: the data is in. partial_success rejections are counted, never retried. */
  private accepted(contentType: string | null, body: Buffer): SendResult {
    let response: ExportResponse;
    try {
      response = decodeResponse(contentType ?? CONTENT_TYPE[this.options.config.encoding], body);
    } catch (err) {
      // Retrying accepted data would duplicate it; an unreadable 2xx body is the backend's bug.
      this.options.logger.warn('otlphttp: could not read the export response; treating it as accepted', { error: (err as Error).message });
      return success();
    }
    const { rejectedLogRecords, errorMessage: message } = response;
    if (rejectedLogRecords > 0n) return success(Number(rejectedLogRecords), redact(message) || undefined);
    if (message) this.options.logger.warn('otlphttp: backend accepted the request with a warning', { message: redact(message) });
    return success();
  }
}

/** OTLP/JSON of the request: logs from their model, traces and metrics from their bytes. */
function jsonBody(request: ExportRequest): Buffer {
  if (request.signal) return Buffer.from(JSON.stringify(protoToJson(REQUEST_DEF[request.signal], request.bytes())));
  return Buffer.from(logsToJson(request.logs()));
}

function decodeResponse(contentType: string, body: Buffer): ExportResponse {
  if (body.length === 0) return { rejectedLogRecords: 0n, errorMessage: '' };
  if (contentType.startsWith(CONTENT_TYPE.json)) return exportResponseFromJson(body.toString('utf8'));
  return decodeExportResponse(body);
}

/** The readable part of an error body: google.rpc.Status.message when the backend sent one. */
function errorMessage(contentType: string | null, body: Buffer): string {
  if (body.length === 0) return '';
  try {
    if (contentType?.startsWith(CONTENT_TYPE.proto)) return decodeStatus(body).message;
    if (contentType?.startsWith(CONTENT_TYPE.json)) {
      const parsed = JSON.parse(body.toString('utf8')) as { message?: unknown };
      if (typeof parsed?.message === 'string') return parsed.message;
    }
  } catch {
    // fall through to the raw text
  }
  return body.toString('utf8');
}

function scrub(result: SendResult): SendResult {
  return result.kind === 'success' ? result : { ...result, reason: redact(result.reason) };
}
