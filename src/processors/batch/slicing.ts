import type { Logs, ResourceLogs } from '../../pdata/model.js';

/**
 * Cutting and joining `Logs` by record count without copying records: the pieces share the
 * record objects and only get new ResourceLogs/ScopeLogs containers, so the caller's `Logs` is
 * never changed (the batch processor does not mutate data).
 */

/** Split `logs` in order into a first piece of at most `firstPieceMax` records, then pieces of at most `pieceMax`. */
export function* sliceLogs(logs: Logs, firstPieceMax: number, pieceMax: number): Generator<{ logs: Logs; count: number }> {
  let limit = firstPieceMax;
  let piece: ResourceLogs[] = [];
  let count = 0;
  for (const rl of logs.resourceLogs) {
    for (const sl of rl.scopeLogs) {
      let offset = 0;
      while (offset < sl.logRecords.length) {
        const take = Math.min(limit - count, sl.logRecords.length - offset);
        appendScope(piece, rl, { scope: sl.scope, schemaUrl: sl.schemaUrl, logRecords: sl.logRecords.slice(offset, offset + take) });
        offset += take;
        count += take;
        if (count >= limit) {
          yield { logs: { resourceLogs: piece }, count };
          piece = [];
          count = 0;
          limit = pieceMax;
        }
      }
    }
  }
  if (count > 0) yield { logs: { resourceLogs: piece }, count };
}

/** Move the ResourceLogs of `from` onto the end of `into` (containers only; records are shared). */
export function appendLogs(into: Logs, from: Logs): void {
  for (const rl of from.resourceLogs) {
    for (const sl of rl.scopeLogs) if (sl.logRecords.length > 0) appendScope(into.resourceLogs, rl, sl);
  }
}

/**
 * Keep records of one source ResourceLogs together: consecutive pieces from the same resource
 * object share one output ResourceLogs rather than repeating the resource for each scope.
 */
function appendScope(out: ResourceLogs[], source: ResourceLogs, scope: ResourceLogs['scopeLogs'][number]): void {
  const last = out[out.length - 1];
  if (last && last.resource === source.resource && last.schemaUrl === source.schemaUrl && source.resource !== undefined) {
    last.scopeLogs.push({ ...scope, logRecords: scope.logRecords.slice() });
    return;
  }
  out.push({ resource: source.resource, schemaUrl: source.schemaUrl, scopeLogs: [{ ...scope, logRecords: scope.logRecords.slice() }] });
}
