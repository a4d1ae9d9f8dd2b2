import { LazyLogs } from '../../pdata/lazy-logs.js';
import type { LogRecord, Logs, ResourceLogs, ScopeLogs } from '../../pdata/model.js';
import { decodeLogs } from '../../pdata/proto.js';
import { scanLogs } from '../../pdata/proto-scan.js';

/**
 * Records the gateway cannot accept are removed before the request goes on, and reported back
 * through OTLP `partial_success` so the client knows they were dropped (and must not retry them).
 * Only ids with an impossible length are refused: the OTLP spec allows an id to be empty (unset)
 * or exactly 16 (trace) / 8 (span) bytes, and every exporter downstream relies on that.
 */

const TRACE_ID_BYTES = 16;
const SPAN_ID_BYTES = 8;

export interface AcceptableLogs {
  /** The input minus refused records (the same object when nothing was refused). */
  logs: Logs;
  /** Records kept. */
  accepted: number;
  /** Records removed. */
  rejected: number;
  /** Why they were removed (for `partial_success.error_message`); empty when none were. */
  errorMessage: string;
}

function idProblem(record: LogRecord): string | undefined {
  const t = record.traceId.length;
  if (t !== 0 && t !== TRACE_ID_BYTES) return `trace_id must be 0 or ${TRACE_ID_BYTES} bytes, got ${t}`;
  const s = record.spanId.length;
  if (s !== 0 && s !== SPAN_ID_BYTES) return `span_id must be 0 or ${SPAN_ID_BYTES} bytes, got ${s}`;
  return undefined;
}

/** Splits a request into what goes on and what is refused. Pure: the input is never modified. */
export function filterAcceptable(logs: Logs): AcceptableLogs {
  let accepted = 0;
  let rejected = 0;
  let firstProblem: string | undefined;
  const resourceLogs: ResourceLogs[] = [];
  for (const rl of logs.resourceLogs) {
    const scopeLogs: ScopeLogs[] = [];
    for (const sl of rl.scopeLogs) {
      const kept = sl.logRecords.filter((r) => {
        const problem = idProblem(r);
        if (problem === undefined) return true;
        firstProblem ??= problem;
        rejected++;
        return false;
      });
      accepted += kept.length;
      // A scope (or resource) left with no records after filtering carries nothing: drop it.
      if (kept.length === sl.logRecords.length) scopeLogs.push(sl);
      else if (kept.length > 0) scopeLogs.push({ ...sl, logRecords: kept });
    }
    if (scopeLogs.length === rl.scopeLogs.length && scopeLogs.every((s, i) => s === rl.scopeLogs[i])) resourceLogs.push(rl);
    else if (scopeLogs.length > 0) resourceLogs.push({ ...rl, scopeLogs });
  }
  if (rejected === 0) return { logs, accepted, rejected, errorMessage: '' };
  const errorMessage = `${rejected} log record(s) rejected: ${firstProblem}`;
  return { logs: { resourceLogs }, accepted, rejected, errorMessage };
}

/**
 * A protobuf request body, split like filterAcceptable, without decoding it when it can: a wire walk
 * validates it (refusing exactly what decodeLogs refuses, with the same PermanentError) and counts
 * its records; when every id has a valid length nothing is refused, and the request goes on as a
 * LazyLogs that is decoded only if something downstream reads it. Anything unusual (a bad id
 * length) takes the full decode and the per-record filter, as before.
 */
export function acceptableFromProtobuf(bytes: Uint8Array): AcceptableLogs {
  const scan = scanLogs(bytes);
  if (scan.badIdLength) return filterAcceptable(decodeLogs(bytes));
  return { logs: new LazyLogs(bytes, scan.records), accepted: scan.records, rejected: 0, errorMessage: '' };
}
