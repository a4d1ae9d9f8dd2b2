import * as grpc from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import { rawLogsServiceDefinition } from '../../src/transport/grpc/logs-service.js';
import { countLogRecords, type LogRecord, type Logs } from '../../src/pdata/model.js';
import { decodeLogs, type ExportResponseInit } from '../../src/pdata/proto.js';
import { retryInfoMetadata } from '../../src/transport/grpc/grpc-js-metadata.js';
import { waitForCount } from './wait-for-count.js';

/**
 * A strict fake OTLP/gRPC logs backend (LogsService/Export, as a Collector's otlp receiver
 * answers) on 127.0.0.1 with an ephemeral port, plaintext. Requests must carry the configured
 * metadata (else UNAUTHENTICATED) and decode (else INVALID_ARGUMENT); accepted requests are kept.
 * It can be scripted to fail with any status, with or without RetryInfo, to answer partial_success,
 * or to go down (connections refused) and come back on the same port. With `tls` it serves gRPC
 * over TLS with that certificate; `hangNext` leaves calls unanswered; `echoMetadata` puts the
 * call's metadata in an error's message (a careless backend repeating the credentials).
 *
 *   const backend = await OtlpGrpcBackend.start();
 *   // exporter config: { endpoint: backend.endpoint, tls: { insecure: true } }
 *   backend.failNext(1, { code: grpc.status.RESOURCE_EXHAUSTED, retryAfterMs: 2000 });
 *   await backend.waitForRecords(3);
 */

export interface OtlpGrpcBackendOptions {
  /** Metadata every call must carry with exactly these values; else UNAUTHENTICATED. */
  requiredMetadata?: Record<string, string>;
  /** Serve TLS with this certificate and key (PEM) instead of plaintext. */
  tls?: { cert: Buffer; key: Buffer };
}

export interface ReceivedOtlpGrpcRequest {
  logs: Logs;
  records: number;
  /** Request metadata (string values only; grpc-js strips grpc-encoding/grpc-timeout before the handler). */
  metadata: Record<string, string>;
}

export interface ScriptedGrpcAnswer {
  code: grpc.status;
  message?: string;
  /** Attach a google.rpc.RetryInfo with this delay. */
  retryAfterMs?: number;
  /** Append the call's metadata to the message. */
  echoMetadata?: boolean;
}

export class OtlpGrpcBackend {
  readonly requests: ReceivedOtlpGrpcRequest[] = [];
  /** Every error answered (scripted or for a bad call), in order. */
  readonly refusals: { code: number; message: string }[] = [];
  private readonly scripted: ScriptedGrpcAnswer[] = [];
  private hanging = 0;
  private readonly hung: (() => void)[] = [];
  private always?: ScriptedGrpcAnswer;
  private partial?: ExportResponseInit;
  private readonly events = new EventEmitter();
  private server?: grpc.Server;
  private port = 0;

  private constructor(private readonly options: OtlpGrpcBackendOptions) {}

  static async start(options: OtlpGrpcBackendOptions = {}): Promise<OtlpGrpcBackend> {
    const backend = new OtlpGrpcBackend(options);
    await backend.listen(0);
    return backend;
  }

  /** `127.0.0.1:port`, for the exporter's `endpoint` (with `tls.insecure: true`). */
  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  records(): LogRecord[] {
    return this.requests.flatMap((r) => r.logs.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords)));
  }

  recordCount(): number {
    return this.requests.reduce((n, r) => n + r.records, 0);
  }

  failNext(times: number, answer: ScriptedGrpcAnswer | grpc.status): void {
    const a = typeof answer === 'number' ? { code: answer } : answer;
    for (let i = 0; i < times; i++) this.scripted.push(a);
  }

  /** The next `times` valid calls are never answered (until close: then CANCELLED). */
  hangNext(times: number): void {
    this.hanging += times;
  }

  /** Every valid call gets this answer until called again with undefined. */
  failAlways(answer: ScriptedGrpcAnswer | grpc.status | undefined): void {
    this.always = typeof answer === 'number' ? { code: answer } : answer;
  }

  partialSuccess(rejected: number, message = ''): void {
    this.partial = rejected || message ? { rejectedLogRecords: rejected, errorMessage: message } : undefined;
  }

  /** Stop listening and drop every connection: clients get UNAVAILABLE. */
  async goDown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.forceShutdown();
  }

  /** Listen again on the same port. */
  async comeUp(): Promise<void> {
    if (!this.server) await this.listen(this.port);
  }

  waitForRecords(count: number, timeoutMs = 10_000): Promise<void> {
    return waitForCount(this.events, 'accepted', () => this.recordCount(), count, timeoutMs, () => `OtlpGrpcBackend refusals: ${JSON.stringify(this.refusals.slice(-5))}`);
  }


  async close(): Promise<void> {
    for (const release of this.hung.splice(0)) release();
    await this.goDown();
  }

  private listen(port: number): Promise<void> {
    const server = new grpc.Server();
    server.addService(rawLogsServiceDefinition, { Export: (call: grpc.ServerUnaryCall<Uint8Array, ExportResponseInit>, cb: grpc.sendUnaryData<ExportResponseInit>) => this.export(call, cb) });
    this.server = server;
    return new Promise((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, this.credentials(), (err, bound) => {
        if (err) return reject(err);
        this.port = bound;
        resolve();
      }),
    );
  }

  private credentials(): grpc.ServerCredentials {
    const tls = this.options.tls;
    return tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false) : grpc.ServerCredentials.createInsecure();
  }

  private refuse(cb: grpc.sendUnaryData<ExportResponseInit>, answer: ScriptedGrpcAnswer): void {
    const message = answer.message ?? `scripted ${grpc.status[answer.code]}`;
    this.refusals.push({ code: answer.code, message });
    const metadata = answer.retryAfterMs !== undefined ? retryInfoMetadata(answer.retryAfterMs, { code: answer.code, message }) : undefined;
    cb({ code: answer.code, details: message, metadata });
  }

  private export(call: grpc.ServerUnaryCall<Uint8Array, ExportResponseInit>, cb: grpc.sendUnaryData<ExportResponseInit>): void {
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(call.metadata.getMap())) if (typeof v === 'string') metadata[k] = v;
    for (const [name, value] of Object.entries(this.options.requiredMetadata ?? {})) {
      if (metadata[name.toLowerCase()] !== value) return this.refuse(cb, { code: grpc.status.UNAUTHENTICATED, message: `missing or wrong ${name}` });
    }
    let logs: Logs;
    try {
      logs = decodeLogs(call.request);
    } catch (err) {
      return this.refuse(cb, { code: grpc.status.INVALID_ARGUMENT, message: (err as Error).message });
    }
    const scripted = this.scripted.shift() ?? this.always;
    if (scripted?.echoMetadata) return this.refuse(cb, { ...scripted, message: `${scripted.message ?? 'refused'}; metadata ${JSON.stringify(metadata)}` });
    if (scripted) return this.refuse(cb, scripted);
    if (this.hanging > 0) {
      this.hanging--;
      this.hung.push(() => cb({ code: grpc.status.CANCELLED, details: 'backend closed' }));
      return;
    }
    this.requests.push({ logs, records: countLogRecords(logs), metadata });
    cb(null, this.partial ?? {});
    this.events.emit('accepted');
  }
}
