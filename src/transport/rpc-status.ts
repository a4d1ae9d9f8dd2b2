import { int32Size, int64Size, lenFieldSize, ProtoReader, ProtoWriter, utf8Length, WIRE_LEN, WIRE_VARINT } from '../pdata/proto-wire.js';

/**
 * google.rpc.Status with a google.rpc.RetryInfo detail, carried in the `grpc-status-details-bin`
 * trailer: how an OTLP/gRPC server tells clients when to retry (the OTLP spec makes
 * RESOURCE_EXHAUSTED retryable only when RetryInfo is present). Also the body of an OTLP/HTTP
 * error answer. Transport-neutral bytes only; grpc-js Metadata helpers are in
 * grpc/grpc-js-metadata.ts. Layouts: proto/google/rpc/.
 */

/** google.rpc.Code RESOURCE_EXHAUSTED: the refusal that needs RetryInfo to be retried at all. */
const RESOURCE_EXHAUSTED = 8;

export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

export interface RpcStatusInit {
  /** Same value as the grpc status the server answers with (in the grpc-status trailer). */
  code?: number;
  message?: string;
}

function durationBytes(ms: number): Uint8Array {
  const total = Math.max(0, Math.round(ms));
  const seconds = BigInt(Math.floor(total / 1000));
  const nanos = (total % 1000) * 1_000_000;
  const size = (seconds ? 1 + int64Size(seconds) : 0) + (nanos ? 1 + int32Size(nanos) : 0);
  const w = new ProtoWriter(size);
  if (seconds) {
    w.tag(1, WIRE_VARINT);
    w.int64(seconds);
  }
  if (nanos) {
    w.tag(2, WIRE_VARINT);
    w.int32(nanos);
  }
  return w.buf;
}

function lenField(w: ProtoWriter, field: number, bytes: Uint8Array): void {
  w.tag(field, WIRE_LEN);
  w.bytes(bytes);
}

/** A google.protobuf.Any: a packed message and its type URL. */
export interface AnyMessage {
  typeUrl: string;
  value: Uint8Array;
}

export interface RpcStatus {
  code: number;
  message: string;
  details: AnyMessage[];
}

function encodeAny(any: AnyMessage): Uint8Array {
  const urlLen = utf8Length(any.typeUrl);
  const w = new ProtoWriter((urlLen ? lenFieldSize(urlLen) : 0) + lenFieldSize(any.value.length));
  if (urlLen) {
    w.tag(1, WIRE_LEN);
    w.string(any.typeUrl, urlLen);
  }
  lenField(w, 2, any.value);
  return w.buf;
}

/**
 * google.rpc.Status bytes: the body of an OTLP/HTTP error answer (protobuf encoding) and, with
 * details, the grpc-status-details-bin trailer.
 */
export function encodeStatus(status: { code: number; message?: string; details?: AnyMessage[] }): Uint8Array {
  const message = status.message ?? '';
  const msgLen = utf8Length(message);
  const details = (status.details ?? []).map(encodeAny);
  let size = (status.code ? 1 + int32Size(status.code) : 0) + (msgLen ? lenFieldSize(msgLen) : 0);
  for (const d of details) size += lenFieldSize(d.length);
  const w = new ProtoWriter(size);
  if (status.code) {
    w.tag(1, WIRE_VARINT);
    w.int32(status.code);
  }
  if (msgLen) {
    w.tag(2, WIRE_LEN);
    w.string(message, msgLen);
  }
  for (const d of details) lenField(w, 3, d);
  return w.buf;
}

/** google.rpc.Status bytes → value. Malformed bytes throw PermanentError PAYLOAD_INVALID. */
export function decodeStatus(bytes: Uint8Array): RpcStatus {
  const r = new ProtoReader(bytes);
  const out: RpcStatus = { code: 0, message: '', details: [] };
  eachField(r, r.length, (tag) => {
    if (tag === ((1 << 3) | WIRE_VARINT)) out.code = r.int32();
    else if (tag === ((2 << 3) | WIRE_LEN)) out.message = r.string();
    else if (tag === ((3 << 3) | WIRE_LEN)) {
      const any: AnyMessage = { typeUrl: '', value: new Uint8Array(0) };
      eachField(r, r.lengthEnd(), (t) => {
        if (t === ((1 << 3) | WIRE_LEN)) any.typeUrl = r.string();
        else if (t === ((2 << 3) | WIRE_LEN)) any.value = r.bytes();
        else r.skip(t);
      });
      out.details.push(any);
    } else r.skip(tag);
  });
  return out;
}

/** google.rpc.Status{code, message, details: [Any{RetryInfo{retry_delay}}]} bytes. */
export function encodeRetryStatus(retryDelayMs: number, init: RpcStatusInit = {}): Uint8Array {
  const retryInfo = new ProtoWriter(lenFieldSize(durationBytes(retryDelayMs).length));
  lenField(retryInfo, 1, durationBytes(retryDelayMs));
  return encodeStatus({
    code: init.code ?? RESOURCE_EXHAUSTED,
    message: init.message ?? '',
    details: [{ typeUrl: RETRY_INFO_TYPE_URL, value: retryInfo.buf }],
  });
}

/** Walks one message, calling `onField` for each field; the callback reads or skips the value. */
function eachField(r: ProtoReader, end: number, onField: (tag: number) => void): void {
  while (r.pos < end) onField(r.tag());
  r.expectEnd(end);
}

/** The retry delay, in ms, from a google.rpc.Status's RetryInfo detail; undefined if none. */
export function decodeRetryDelayMs(statusBytes: Uint8Array): number | undefined {
  const detail = decodeStatus(statusBytes).details.find((d) => d.typeUrl.endsWith('/google.rpc.RetryInfo'));
  return detail ? retryInfoDelayMs(detail.value) : undefined;
}

function retryInfoDelayMs(bytes: Uint8Array): number {
  const r = new ProtoReader(bytes);
  let seconds = 0n;
  let nanos = 0;
  eachField(r, r.length, (tag) => {
    if (tag !== ((1 << 3) | WIRE_LEN)) return r.skip(tag);
    eachField(r, r.lengthEnd(), (t) => {
      if (t === ((1 << 3) | WIRE_VARINT)) seconds = r.int64();
      else if (t === ((2 << 3) | WIRE_VARINT)) nanos = r.int32();
      else r.skip(t);
    });
  });
  return Math.max(0, Number(seconds) * 1000 + Math.round(nanos / 1_000_000));
}
