import type { Logs } from '../../pdata/model.js';
import { encodeLogs } from '../../pdata/proto.js';
import { flattenRecords, regroupRecords, type RecordRef } from '../helper/split.js';

/**
 * Cuts a request whose protobuf is larger than the NATS server's max_payload into requests that
 * fit, halving by records until each part fits (the encoding's overhead per resource and scope
 * makes sizes not quite additive, so each part is measured, not estimated). A record that does not
 * fit alone is returned in `unfit`. Only oversized requests come here; the usual one is sent as is.
 */
export function splitToFit(logs: Logs, maxBytes: number): { parts: Uint8Array[]; unfit: RecordRef[] } {
  const parts: Uint8Array[] = [];
  const unfit: RecordRef[] = [];
  const pending: RecordRef[][] = [flattenRecords(logs)];
  while (pending.length > 0) {
    const refs = pending.pop()!;
    if (refs.length === 0) continue;
    const bytes = encodeLogs(regroupRecords(refs));
    if (bytes.length <= maxBytes) {
      parts.push(bytes);
    } else if (refs.length === 1) {
      unfit.push(refs[0]!);
    } else {
      const half = Math.ceil(refs.length / 2);
      // Second half pushed first so parts come out in the request's order.
      pending.push(refs.slice(half), refs.slice(0, half));
    }
  }
  return { parts, unfit };
}
