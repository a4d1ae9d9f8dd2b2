import { invalid, ProtoReader } from './proto-wire.js';
import { MAX_ANY_VALUE_DEPTH } from './proto-decode.js';

/**
 * A decode-free walk over an ExportLogsServiceRequest: it counts log records and measures their
 * trace/span ids without building a single object, so a request that nothing in the gateway needs
 * to read can be forwarded as received (docs/architecture.md §10). On the bench payload it costs a small
 * fraction of decodeLogs.
 *
 * It must refuse exactly what decodeLogs refuses, or a malformed body would be accepted here and
 * blow up later, far from the client. So it mirrors proto-decode.ts message by message, with the
 * same reader, the same tags, the same skips, the same end checks and the same AnyValue depth
 * limit; only the value reads are replaced by skips of the same wire type (test/pdata/proto-scan
 * checks the two agree on mutated inputs).
 */

export interface ProtobufScan {
  /** Log records in the request. */
  records: number;
  /** Some record's trace_id or span_id has a length other than 0 or 16 / 8 bytes. */
  badIdLength: boolean;
}

const TRACE_ID_BYTES = 16;
const SPAN_ID_BYTES = 8;

// Tags as in proto-decode.ts: (field << 3 | wire type).
// Scalar and string fields are not listed: the decoder's read of such a field consumes exactly the
// bytes that skipping its wire type does, and a known field with an unexpected wire type is skipped
// by both.
const LEN1 = 10, LEN2 = 18, LEN3 = 26, LEN5 = 42, LEN6 = 50, LEN9 = 74, LEN10 = 82;
const VARINT2 = 16, VARINT4 = 32;

/** Walks `bytes`; throws PermanentError (PAYLOAD_INVALID) wherever decodeLogs would. */
export function scanLogs(bytes: Uint8Array): ProtobufScan {
  const r = new ProtoReader(bytes);
  const scan: ProtobufScan = { records: 0, badIdLength: false };
  const end = r.length;
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) scanResourceLogs(r, r.lengthEnd(), scan);
    else r.skip(t);
  }
  return scan;
}

function scanResourceLogs(r: ProtoReader, end: number, scan: ProtobufScan): void {
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) scanResource(r, r.lengthEnd());
    else if (t === LEN2) scanScopeLogs(r, r.lengthEnd(), scan);
    else if (t === LEN3) r.pos = r.lengthEnd();
    else r.skip(t);
  }
  r.expectEnd(end);
}

function scanResource(r: ProtoReader, end: number): void {
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) scanKeyValue(r, r.lengthEnd(), 0);
    else if (t === VARINT2) r.uint32();
    else r.skip(t);
  }
  r.expectEnd(end);
}

function scanScopeLogs(r: ProtoReader, end: number, scan: ProtobufScan): void {
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) scanScope(r, r.lengthEnd());
    else if (t === LEN2) {
      scanLogRecord(r, r.lengthEnd(), scan);
      scan.records++;
    } else if (t === LEN3) r.pos = r.lengthEnd();
    else r.skip(t);
  }
  r.expectEnd(end);
}

function scanScope(r: ProtoReader, end: number): void {
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1 || t === LEN2) r.pos = r.lengthEnd();
    else if (t === LEN3) scanKeyValue(r, r.lengthEnd(), 0);
    else if (t === VARINT4) r.uint32();
    else r.skip(t);
  }
  r.expectEnd(end);
}

function scanLogRecord(r: ProtoReader, end: number, scan: ProtobufScan): void {
  // Like the decoder, the last occurrence of a field wins.
  let traceIdLength = 0;
  let spanIdLength = 0;
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case LEN5:
        scanAnyValue(r, r.lengthEnd(), 0);
        break;
      case LEN6:
        scanKeyValue(r, r.lengthEnd(), 0);
        break;
      case LEN9: {
        const idEnd = r.lengthEnd();
        traceIdLength = idEnd - r.pos;
        r.pos = idEnd;
        break;
      }
      case LEN10: {
        const idEnd = r.lengthEnd();
        spanIdLength = idEnd - r.pos;
        r.pos = idEnd;
        break;
      }
      default:
        r.skip(t);
    }
  }
  r.expectEnd(end);
  if ((traceIdLength !== 0 && traceIdLength !== TRACE_ID_BYTES) || (spanIdLength !== 0 && spanIdLength !== SPAN_ID_BYTES)) scan.badIdLength = true;
}

function scanKeyValue(r: ProtoReader, end: number, depth: number): void {
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) r.pos = r.lengthEnd();
    else if (t === LEN2) scanAnyValue(r, r.lengthEnd(), depth);
    else r.skip(t);
  }
  r.expectEnd(end);
}

function scanAnyValue(r: ProtoReader, end: number, depth: number): void {
  if (depth > MAX_ANY_VALUE_DEPTH) invalid(`AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH}`);
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN5) scanValueList(r, r.lengthEnd(), depth + 1);
    else if (t === LEN6) scanKeyValueList(r, r.lengthEnd(), depth + 1);
    // string, bool, int, double, bytes: skipping reads the same bytes the decoder reads.
    else r.skip(t);
  }
  r.expectEnd(end);
}

function scanValueList(r: ProtoReader, end: number, depth: number): void {
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) scanAnyValue(r, r.lengthEnd(), depth);
    else r.skip(t);
  }
  r.expectEnd(end);
}

function scanKeyValueList(r: ProtoReader, end: number, depth: number): void {
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) scanKeyValue(r, r.lengthEnd(), depth);
    else r.skip(t);
  }
  r.expectEnd(end);
}
