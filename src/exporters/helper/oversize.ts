import type { Logs } from '../../pdata/model.js';
import { decodeLogs, encodeLogs } from '../../pdata/proto.js';
import type { QueuedRequest } from '../../queue/queue.js';
import { batchUnits } from './batcher.js';
import type { BatchConfig } from './config.js';
import { flattenRecords, regroupRecords, type RecordRef } from './split.js';

/**
 * `sending_queue.batch.max_size` for one queued request bigger than it. The batcher never merges
 * past `max_size`, but a single request can arrive bigger; the Collector splits it, and so do we:
 * its records in order, in parts of at most `max_size` items (`sizer: items`) or encoded bytes
 * (`sizer: bytes`; one record bigger than that goes alone). Undefined when the request fits, when
 * the sizer is `requests`, or when its bytes cannot be decoded (it then goes out as it is and the
 * backend answers for it).
 */
export function oversizeParts(request: QueuedRequest, config: BatchConfig | undefined): Logs[] | undefined {
  if (!config || config.max_size <= 0 || config.sizer === 'requests') return undefined;
  if (batchUnits(config.sizer, request) <= config.max_size) return undefined;
  let logs: Logs;
  try {
    logs = request.logs ?? decodeLogs(request.bytes);
  } catch {
    return undefined;
  }
  const refs = flattenRecords(logs);
  const parts: Logs[] = [];
  if (config.sizer === 'items') {
    for (let i = 0; i < refs.length; i += config.max_size) parts.push(regroupRecords(refs.slice(i, i + config.max_size)));
  } else {
    // Even pieces first (a good guess: records of one request tend to be alike), halved where one
    // still encodes too big.
    const pieces = Math.min(refs.length, Math.ceil(request.bytes.byteLength / config.max_size));
    const step = Math.ceil(refs.length / pieces);
    for (let i = 0; i < refs.length; i += step) splitByBytes(refs.slice(i, i + step), config.max_size, parts);
  }
  return parts.length > 1 ? parts : undefined;
}

function splitByBytes(refs: RecordRef[], maxBytes: number, out: Logs[]): void {
  const logs = regroupRecords(refs);
  if (refs.length === 1 || encodeLogs(logs).byteLength <= maxBytes) {
    out.push(logs);
    return;
  }
  const mid = refs.length >> 1;
  splitByBytes(refs.slice(0, mid), maxBytes, out);
  splitByBytes(refs.slice(mid), maxBytes, out);
}
