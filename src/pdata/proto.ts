import type { Logs } from './model.js';
import { decodeLogsFrom } from './proto-decode.js';
import { int64Size, invalid, lenFieldSize, ProtoReader, ProtoWriter, utf8Length, WIRE_LEN, WIRE_VARINT } from './proto-wire.js';

/**
 * OTLP logs protobuf codec (opentelemetry.proto.collector.logs.v1, see proto/).
 *
 * Hand-written over the model rather than protobufjs reflection + toObject/fromObject: this is the
 * gateway's hot path (decode → process → encode → commit) and reflection would build and convert
 * a second object tree per request. The encoder sizes the whole request first and writes into one
 * exact buffer (proto-encode.ts); the decoder reads straight into the model (proto-decode.ts).
 * Malformed input throws PermanentError with code PAYLOAD_INVALID; unknown fields are skipped.
 */

export { encodeLogs } from './proto-encode.js';

/** ExportLogsServiceRequest (or LogsData) bytes → Logs. Empty input is a valid, empty request. */
export function decodeLogs(bytes: Uint8Array): Logs {
  return decodeLogsFrom(new ProtoReader(bytes));
}

/** What a server says about a request it accepted; both zero/empty means "all accepted". */
export interface ExportResponse {
  rejectedLogRecords: bigint;
  errorMessage: string;
}

export interface ExportResponseInit {
  rejectedLogRecords?: bigint | number;
  errorMessage?: string;
}

/**
 * ExportLogsServiceResponse. `partial_success` is written only when something was rejected or a
 * message is given: the spec says a fully successful response leaves it unset.
 */
export function encodeExportResponse(init: ExportResponseInit = {}): Uint8Array {
  const rejected = BigInt(init.rejectedLogRecords ?? 0);
  const message = init.errorMessage ?? '';
  if (rejected === 0n && message === '') return new Uint8Array(0);
  const msgLen = utf8Length(message);
  const inner = (rejected !== 0n ? 1 + int64Size(rejected) : 0) + (message ? lenFieldSize(msgLen) : 0);
  const w = new ProtoWriter(lenFieldSize(inner));
  w.tag(1, WIRE_LEN);
  w.varint32(inner);
  if (rejected !== 0n) {
    w.tag(1, WIRE_VARINT);
    w.int64(rejected);
  }
  if (message) {
    w.tag(2, WIRE_LEN);
    w.string(message, msgLen);
  }
  return w.buf;
}

export function decodeExportResponse(bytes: Uint8Array): ExportResponse {
  const r = new ProtoReader(bytes);
  const out: ExportResponse = { rejectedLogRecords: 0n, errorMessage: '' };
  while (r.pos < r.length) {
    const t = r.tag();
    if (t !== ((1 << 3) | WIRE_LEN)) {
      r.skip(t);
      continue;
    }
    const end = r.lengthEnd();
    while (r.pos < end) {
      const it = r.tag();
      if (it === ((1 << 3) | WIRE_VARINT)) out.rejectedLogRecords = r.int64();
      else if (it === ((2 << 3) | WIRE_LEN)) out.errorMessage = r.string();
      else r.skip(it);
    }
    if (r.pos !== end) invalid('partial_success overruns its length');
  }
  return out;
}
