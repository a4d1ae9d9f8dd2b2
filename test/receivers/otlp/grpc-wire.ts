import { connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { gzipSync } from 'node:zlib';

/**
 * A raw HTTP/2 client for the OTLP/gRPC receiver's wire-level tests: sends exactly the frames a
 * test chooses (wrong content-types, broken prefixes, several messages, no END_STREAM), which no
 * gRPC library would, and returns what came back, trailers included.
 */

export const EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

/** One length-prefixed message; `compressed` sets the flag (the bytes are given as they are). */
export function framed(message: Uint8Array, compressed = false): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

export function gzipFramed(message: Uint8Array): Buffer {
  return framed(gzipSync(message), true);
}

export interface RawAnswer {
  /** HTTP :status. */
  status: number;
  headers: IncomingHttpHeaders;
  /** The status fields, from the trailers or (Trailers-Only) the headers. */
  grpcStatus?: number;
  grpcMessage?: string;
  data: Buffer;
}

export interface RawCallOptions {
  path?: string;
  headers?: OutgoingHttpHeaders;
  /** Written in order; the stream is ended after them unless `keepOpen`. */
  chunks?: Buffer[];
  keepOpen?: boolean;
}

export async function openSession(address: string): Promise<ClientHttp2Session> {
  const session = connect(`http://${address}`);
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  return session;
}

export function rawCall(session: ClientHttp2Session, options: RawCallOptions = {}): Promise<RawAnswer> {
  const req = session.request({
    ':method': 'POST',
    ':path': options.path ?? EXPORT_PATH,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...options.headers,
  });
  return new Promise((resolve, reject) => {
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const data: Buffer[] = [];
    req.on('response', (h) => (headers = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (d: Buffer) => data.push(d));
    req.on('error', reject);
    req.on('close', () => {
      const source = trailers['grpc-status'] !== undefined ? trailers : headers;
      resolve({
        status: Number(headers[':status']),
        headers,
        grpcStatus: source['grpc-status'] !== undefined ? Number(source['grpc-status']) : undefined,
        grpcMessage: source['grpc-message'] !== undefined ? decodeURIComponent(String(source['grpc-message'])) : undefined,
        data: Buffer.concat(data),
      });
    });
    for (const chunk of options.chunks ?? []) req.write(chunk);
    if (!options.keepOpen) req.end();
  });
}
