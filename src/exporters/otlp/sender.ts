import * as grpc from '@grpc/grpc-js';
import { readFile } from 'node:fs/promises';
import { createSecureContext, rootCertificates } from 'node:tls';
import { TLS_VERSIONS } from '../../config/types.js';
import { rawLogsServiceDefinition } from '../../transport/grpc/logs-service.js';
import type { ExportResponse } from '../../pdata/proto.js';
import { parseRetryInfo } from '../../transport/grpc/grpc-js-metadata.js';
import type { Logger } from '../../telemetry/logger.js';
import { redact } from '../../telemetry/secrets.js';
import { resolveClientAuthenticator, type ClientAuthenticator } from '../../extensions/client-auth.js';
import type { Host } from '../../pipeline/component.js';
import { classifyGrpcFailure } from '../helper/classify.js';
import { TokenError } from '../helper/token-cache.js';
import { permanent, retryable, success, type ExportRequest, type LogsSender, type SendResult } from '../helper/sender.js';
import { grpcTarget, type OtlpGrpcConfig } from './config.js';

/** grpc-js compression algorithm ids (its CompressionAlgorithms enum). */
const GRPC_GZIP = 2;
/**
 * Cap on the channel's reconnect backoff. The exporter helper already retries with its own
 * backoff; grpc-js's default (up to 120 s) would keep failing calls fast long after the backend
 * is back.
 */
const MAX_RECONNECT_BACKOFF_MS = 5_000;
const USER_AGENT = 'make-otel-gateway';

export interface OtlpGrpcSenderOptions {
  config: Pick<OtlpGrpcConfig, 'endpoint' | 'tls' | 'headers' | 'compression' | 'timeout'> & Partial<Pick<OtlpGrpcConfig, 'auth' | 'keepalive' | 'balancer_name' | 'authority' | 'wait_for_ready'>>;
  logger: Logger;
  /** The exporter's id, for messages that name its config keys. */
  id?: string;
  /** The gRPC method (LogsService/Export when absent); the request bytes go out as they are. */
  path?: string;
}

const method = rawLogsServiceDefinition.Export;

/**
 * OTLP/gRPC logs: LogsService/Export over @grpc/grpc-js, forwarding the queued protobuf bytes as
 * the request message (no decode). Status codes are classified by the OTLP rules, with the
 * server's RetryInfo honoured; an OK with partial_success counts its rejections.
 *
 * grpc-js stays the client although the receiver no longer uses its server: the full-GC
 * retention measured there (14–17 full GCs in 15 s at 1000 calls/s, BENCHMARKS.md "OTLP/gRPC on
 * node:http2") is in grpc-js's server call path, and an exporter makes one call per send batch,
 * not one per client request, while grpc-js gives it name resolution, reconnect backoff, TLS and
 * channel credentials that a hand-written client would have to redo.
 */
export class OtlpGrpcLogsSender implements LogsSender {
  private client?: grpc.Client;
  private readonly metadata = new grpc.Metadata();
  private auth?: ClientAuthenticator;
  /**
   * A header gRPC cannot carry (`can you have a . here?` in the Collector's own testdata): like the
   * Collector, the exporter still starts and every send fails permanently with the reason, so the
   * requests are dead-lettered, visible and replayable, rather than the whole gateway refusing to start.
   */
  private readonly badHeader?: string;

  constructor(private readonly options: OtlpGrpcSenderOptions) {
    for (const [name, value] of Object.entries(options.config.headers)) {
      const key = name.toLowerCase();
      try {
        if (key.endsWith('-bin')) this.metadata.set(key, Buffer.from(value));
        else this.metadata.set(key, value);
      } catch (err) {
        this.badHeader ??= `headers: ${JSON.stringify(name)} cannot be sent as gRPC metadata (${(err as Error).message})`;
      }
    }
  }

  /** Reads TLS files, finds the authenticator and opens the channel (it connects lazily, on the first call). */
  async start(host?: Host): Promise<void> {
    const { config } = this.options;
    if (this.badHeader && host) this.options.logger.warn(`every send will fail: ${this.badHeader}`, { exporter: this.options.id ?? 'otlp' });
    if (config.auth && host) this.auth = resolveClientAuthenticator(host, config.auth.authenticator, `exporters.${this.options.id ?? 'otlp'}.auth.authenticator`);
    const target = grpcTarget(config);
    if (!target) throw new Error(`otlp: invalid endpoint ${JSON.stringify(config.endpoint)}`);
    let credentials: grpc.ChannelCredentials;
    if (target.plaintext) credentials = grpc.credentials.createInsecure();
    else {
      const tls = config.tls;
      const read = (path?: string) => (path ? readFile(path) : Promise.resolve(undefined));
      const [ca, key, cert] = await Promise.all([read(tls?.ca_file), read(tls?.key_file), read(tls?.cert_file)]);
      // A secure context, not createSsl: it is what takes the TLS version bounds.
      const context = createSecureContext({
        ca: ca && tls?.include_system_ca_certs_pool ? [...rootCertificates, ca.toString()] : ca,
        key,
        cert,
        minVersion: tls?.min_version ? TLS_VERSIONS[tls.min_version] : undefined,
        maxVersion: tls?.max_version ? TLS_VERSIONS[tls.max_version] : undefined,
      });
      credentials = grpc.credentials.createFromSecureContext(context, tls?.insecure_skip_verify ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {});
    }
    const options: grpc.ChannelOptions = {
      'grpc.max_reconnect_backoff_ms': MAX_RECONNECT_BACKOFF_MS,
      'grpc.primary_user_agent': USER_AGENT,
    };
    if (config.compression === 'gzip') options['grpc.default_compression_algorithm'] = GRPC_GZIP;
    const keepalive = config.keepalive;
    if (keepalive?.time !== undefined) options['grpc.keepalive_time_ms'] = Math.max(1, Math.round(keepalive.time));
    if (keepalive?.timeout !== undefined) options['grpc.keepalive_timeout_ms'] = Math.max(1, Math.round(keepalive.timeout));
    if (keepalive?.permit_without_stream) options['grpc.keepalive_permit_without_calls'] = 1;
    if (config.balancer_name) options['grpc.service_config'] = JSON.stringify({ loadBalancingConfig: [{ [config.balancer_name]: {} }] });
    if (!target.plaintext && config.tls?.server_name_override) options['grpc.ssl_target_name_override'] = config.tls.server_name_override;
    if (config.authority) options['grpc.default_authority'] = config.authority;
    this.client = new grpc.Client(target.address, credentials, options);
  }

  async shutdown(): Promise<void> {
    this.client?.close();
    this.client = undefined;
  }

  async send(request: ExportRequest, signal: AbortSignal): Promise<SendResult> {
    if (request.records === 0) return success();
    if (this.badHeader) return permanent(this.badHeader);
    if (!this.client) await this.start();
    if (signal.aborted) return retryable('request timed out');
    const client = this.client!;
    const metadata = this.metadata.clone();
    // grpc-js takes wait-for-ready as a metadata option, not a call option.
    if (this.options.config.wait_for_ready) metadata.setOptions({ waitForReady: true });
    let sentHeaders: Record<string, string> = {};
    if (this.auth) {
      try {
        sentHeaders = await this.auth.clientHeaders({}, signal);
      } catch (err) {
        if (err instanceof TokenError) return { ...err.result, reason: redact(err.result.reason) } as SendResult;
        throw err;
      }
      for (const [name, value] of Object.entries(sentHeaders)) metadata.set(name.toLowerCase(), value);
    }
    return new Promise<SendResult>((resolve) => {
      const onAbort = () => call.cancel();
      const call = client.makeUnaryRequest<Uint8Array, ExportResponse>(
        this.options.path ?? method.path,
        method.requestSerialize,
        method.responseDeserialize as (b: Buffer) => ExportResponse,
        request.bytes(),
        metadata,
        { deadline: Date.now() + this.options.config.timeout },
        (err, response) => {
          signal.removeEventListener('abort', onAbort);
          resolve(err ? this.failure(err, signal, sentHeaders) : this.accepted(response));
        },
      );
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private failure(err: grpc.ServiceError, signal: AbortSignal, sentHeaders: Record<string, string>): SendResult {
    if (signal.aborted && err.code === grpc.status.CANCELLED) return retryable('request timed out');
    // Credentials the backend refused (revoked, expired early): drop them and retry with fresh ones.
    if (err.code === grpc.status.UNAUTHENTICATED && this.auth?.unauthorized) {
      this.auth.unauthorized(sentHeaders);
      return retryable(`backend refused the credentials (UNAUTHENTICATED): ${redact(err.details ?? '')}`);
    }
    const result = classifyGrpcFailure(err.code, redact(err.details ?? ''), parseRetryInfo(err.metadata));
    return result.kind === 'success' ? result : { ...result, reason: redact(result.reason) };
  }

  private accepted(response: ExportResponse | undefined): SendResult {
    if (!response) return success();
    const message = redact(response.errorMessage);
    if (response.rejectedLogRecords > 0n) return success(Number(response.rejectedLogRecords), message || undefined);
    if (message) this.options.logger.warn('otlp: backend accepted the request with a warning', { message });
    return success();
  }
}
