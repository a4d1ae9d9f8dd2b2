import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { GrpcCode } from './codes.js';
import { ACCEPTED_ENCODINGS, decompressMessage, isSupportedEncoding } from './decompress.js';
import { isReadRefusal, UnaryMessageReader, type ReadRefusal } from './message-reader.js';
import { binaryHeaderValue, encodeGrpcMessage, frameMessage, parseGrpcTimeout } from './wire.js';

/** A status other than OK, as the server answers it. */
export interface GrpcStatusReply {
  code: number;
  message: string;
  /** google.rpc.Status bytes for `grpc-status-details-bin` (e.g. with RetryInfo). */
  details?: Uint8Array;
}

export type UnaryReply = { response: Uint8Array } | { status: GrpcStatusReply };

/** Request metadata: lower-case header names, without pseudo-headers and `-bin` entries. */
export type CallHeaders = Record<string, string | string[] | undefined>;

export interface UnaryCallContext {
  readonly headers: CallHeaders;
  /** Aborted when the client cancels, the deadline passes or the server is forced down. */
  readonly signal: AbortSignal;
}

/** What a call holds for its message (memory admission); released when the call ends. */
export interface MessageReservation {
  /** The decompressed size is known: a status when it no longer fits. */
  inflated?(bytes: number): GrpcStatusReply | undefined;
  /** Idempotent. */
  release(): void;
}

export interface UnaryMethod {
  /** Runs on the headers before the body is read (e.g. authentication); a status refuses the call. */
  admit?(headers: CallHeaders): GrpcStatusReply | undefined | Promise<GrpcStatusReply | undefined>;
  /**
   * Runs once the message prefix has arrived, before the message is read: reserves what the
   * announced message will cost, or refuses the call with a status (nothing more is read).
   */
  reserve?(messageBytes: number, compressed: boolean): MessageReservation | GrpcStatusReply;
  /** The request message, decompressed. Should not throw; a throw is answered UNAVAILABLE. */
  handle(message: Uint8Array, call: UnaryCallContext): Promise<UnaryReply>;
}

export interface CallSettings {
  methods: ReadonlyMap<string, UnaryMethod>;
  maxRecvMessageBytes: number;
  /** Every status other than OK the server answers, and CANCELLED when the client left first. */
  onRefused?(code: number): void;
  /** A handler threw: logged by the owner; the client gets UNAVAILABLE. */
  onHandlerError?(err: unknown): void;
}

const GRPC_CONTENT_TYPE = /^application\/grpc(\+proto)?(;.*)?$/i;
const HANDLER_FAILED = 'internal error while handling the call; retry later';
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One unary call on an HTTP/2 stream, start to end: checks (method, content-type, path,
 * encoding), the method's `admit`, reading exactly one message under the receive limit, the
 * `grpc-timeout` deadline, and the answer: HEADERS + message + `grpc-status: 0` trailers, or a
 * Trailers-Only error. Everything a call holds is dropped when it ends, so a finished call
 * leaves nothing reachable (the reason this server exists: README, "OTLP/gRPC").
 */
export class UnaryCall {
  private answered = false;
  /** Made on first use: an AbortController costs ~2 % of the CPU of a call (profiled), most handlers never look. */
  private abort?: AbortController;
  private deadline?: NodeJS.Timeout;
  /** Why the call ended before its answer (deadline, cancel), for a signal made afterwards. */
  private endedBy?: Error;
  /** The method's hold on memory for this call's message, from its prefix to the call's end. */
  private reservation?: MessageReservation;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly settings: CallSettings,
  ) {}

  serve(headers: IncomingHttpHeaders): void {
    const stream = this.stream;
    // An 'error' without a listener would crash the process; the 'close' below does the cleanup.
    stream.on('error', noop);
    stream.once('close', () => this.onClose());

    if (headers[':method'] !== 'POST') return this.refuse({ code: GrpcCode.UNIMPLEMENTED, message: `method ${String(headers[':method'])} is not POST` }, 405);
    const contentType = headers['content-type'];
    if (typeof contentType !== 'string' || !GRPC_CONTENT_TYPE.test(contentType)) {
      // The protocol's answer (and grpc-go's): HTTP 415, so no HTTP client takes it for success.
      return this.refuse({ code: GrpcCode.INVALID_ARGUMENT, message: `invalid gRPC request content-type ${JSON.stringify(contentType ?? '')}` }, 415);
    }
    const path = String(headers[':path']);
    const method = this.settings.methods.get(path);
    if (!method) return this.refuse({ code: GrpcCode.UNIMPLEMENTED, message: `unknown method ${path}` });
    const encoding = typeof headers['grpc-encoding'] === 'string' ? headers['grpc-encoding'].toLowerCase() : 'identity';
    if (!isSupportedEncoding(encoding)) {
      return this.refuse({ code: GrpcCode.UNIMPLEMENTED, message: `grpc-encoding ${JSON.stringify(encoding)} is not supported (accepted: ${ACCEPTED_ENCODINGS})` });
    }
    const timeoutMs = parseGrpcTimeout(headers['grpc-timeout']);
    // Beyond a timer's range (~24.8 days) Node would fire at once; such a deadline is no deadline.
    if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) this.deadline = setTimeout(() => this.onDeadline(), timeoutMs);

    const metadata = callHeaders(headers);
    const reader = new UnaryMessageReader(this.settings.maxRecvMessageBytes);
    const admitted = method.admit ? this.admit(method, metadata) : undefined;
    let refused = false;
    stream.on('data', (chunk: Buffer) => {
      if (refused) return;
      const refusal = reader.push(chunk) ?? (method.reserve && !this.reservation ? this.reserve(method, reader) : undefined);
      if (refusal) {
        refused = true;
        this.refuse(refusal);
      }
    });
    stream.once('end', () => {
      if (!refused) void this.run(method, metadata, encoding, admitted, reader.finish());
    });
  }

  private async run(method: UnaryMethod, headers: CallHeaders, encoding: string, admitted: Promise<GrpcStatusReply | undefined> | undefined, read: ReturnType<UnaryMessageReader['finish']>): Promise<void> {
    try {
      const denied = admitted ? await admitted : undefined;
      if (denied) return this.refuse(denied);
      if (isReadRefusal(read)) return this.refuse(read);
      let message: Uint8Array = read.message;
      if (read.compressed) {
        if (encoding === 'identity') return this.refuse({ code: GrpcCode.INTERNAL, message: 'compressed flag set but grpc-encoding is identity' });
        const inflated = await decompressMessage(encoding, message, this.settings.maxRecvMessageBytes);
        if (!Buffer.isBuffer(inflated)) return this.refuse(inflated);
        const unfit = this.reservation?.inflated?.(inflated.byteLength);
        if (unfit) return this.refuse(unfit);
        message = inflated;
      }
      if (this.answered) return;
      const reply = await method.handle(message, this.context(headers));
      if ('response' in reply) this.respond(reply.response);
      else this.refuse(reply.status);
    } catch (err) {
      this.settings.onHandlerError?.(err);
      this.refuse({ code: GrpcCode.UNAVAILABLE, message: HANDLER_FAILED });
    } finally {
      // The handler is done with the message (consumed or refused): its memory is free again.
      this.reservation?.release();
    }
  }

  /** Reserves for the message once its prefix is known; a refusal when the method says no. */
  private reserve(method: UnaryMethod, reader: UnaryMessageReader): GrpcStatusReply | undefined {
    const announced = reader.announced();
    if (!announced) return undefined;
    let held: MessageReservation | GrpcStatusReply;
    try {
      held = method.reserve!(announced.length, announced.compressed);
    } catch (err) {
      // Runs in a 'data' listener: a throw here would be an uncaught exception, so it is a handler failure.
      this.settings.onHandlerError?.(err);
      return { code: GrpcCode.UNAVAILABLE, message: HANDLER_FAILED };
    }
    if ('code' in held) return held;
    this.reservation = held;
    return undefined;
  }

  /**
   * Runs `admit` while the body arrives; a refusal is answered at once (an unauthenticated
   * client is not read to the end). A throwing `admit` is a handler failure, never a crash.
   */
  private admit(method: UnaryMethod, headers: CallHeaders): Promise<GrpcStatusReply | undefined> {
    const admitted = Promise.resolve()
      .then(() => method.admit!(headers))
      .catch((err: unknown): GrpcStatusReply => {
        this.settings.onHandlerError?.(err);
        return { code: GrpcCode.UNAVAILABLE, message: HANDLER_FAILED };
      });
    void admitted.then((denied) => denied && this.refuse(denied));
    return admitted;
  }

  private context(headers: CallHeaders): UnaryCallContext {
    return new CallContext(headers, this);
  }

  /** The call's signal, made on first use. */
  signal(): AbortSignal {
    if (!this.abort) {
      this.abort = new AbortController();
      if (this.endedBy) this.abort.abort(this.endedBy);
    }
    return this.abort.signal;
  }

  private respond(response: Uint8Array): void {
    if (!this.beginAnswer()) return;
    const stream = this.stream;
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc', 'grpc-accept-encoding': ACCEPTED_ENCODINGS, 'grpc-encoding': 'identity' },
      { waitForTrailers: true },
    );
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(frameMessage(response));
  }

  /** A Trailers-Only answer: one HEADERS frame carrying the status, then the stream is done. */
  private refuse(status: GrpcStatusReply, httpStatus = 200): void {
    if (!this.beginAnswer()) return;
    this.settings.onRefused?.(status.code);
    const stream = this.stream;
    const headers: Record<string, string | number> = {
      ':status': httpStatus,
      'content-type': 'application/grpc',
      'grpc-accept-encoding': ACCEPTED_ENCODINGS,
      'grpc-status': String(status.code),
      'grpc-message': encodeGrpcMessage(status.message),
    };
    if (status.details) headers['grpc-status-details-bin'] = binaryHeaderValue(status.details);
    stream.respond(headers, { endStream: true });
    // A client still sending (an oversize body, say) is told to stop rather than read to the end.
    if (!stream.readableEnded) stream.close(constants.NGHTTP2_NO_ERROR);
  }

  /** Marks the call answered; false when it already was or the stream is gone. */
  private beginAnswer(): boolean {
    if (this.answered) return false;
    this.answered = true;
    this.clearDeadline();
    return !this.stream.destroyed && !this.stream.closed && !this.stream.headersSent;
  }

  private onDeadline(): void {
    this.deadline = undefined;
    this.refuse({ code: GrpcCode.DEADLINE_EXCEEDED, message: 'deadline exceeded before the call completed' });
    this.endedBy = new Error('grpc-timeout deadline exceeded');
    this.abort?.abort(this.endedBy);
  }

  private onClose(): void {
    this.clearDeadline();
    // A call cancelled or refused before its handler ran still gives its reservation back.
    this.reservation?.release();
    if (this.answered) return;
    // The client cancelled (RST_STREAM) or the connection went away before the answer.
    this.answered = true;
    this.settings.onRefused?.(GrpcCode.CANCELLED);
    this.endedBy = new Error('the client cancelled the call');
    this.abort?.abort(this.endedBy);
  }

  private clearDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = undefined;
  }
}

/** What a handler sees; a class, not an object literal with a getter, which profiled at ~1.5 % per call. */
class CallContext implements UnaryCallContext {
  constructor(
    readonly headers: CallHeaders,
    private readonly call: UnaryCall,
  ) {}

  get signal(): AbortSignal {
    return this.call.signal();
  }
}

function noop(): void {}

/** Header names a gRPC call's metadata does not include: HTTP/2 and gRPC transport fields. */
const TRANSPORT_HEADERS = new Set(['content-type', 'te', 'grpc-encoding', 'grpc-accept-encoding', 'grpc-timeout']);

function callHeaders(headers: IncomingHttpHeaders): CallHeaders {
  const out: CallHeaders = {};
  for (const key in headers) {
    if (key.startsWith(':') || key.endsWith('-bin') || TRANSPORT_HEADERS.has(key)) continue;
    out[key] = headers[key];
  }
  return out;
}
