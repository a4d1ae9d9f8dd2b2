import type { LogsConsumer } from '../pipeline/component.js';
import { countLogRecords, type Logs, type ResourceLogs } from '../pdata/model.js';
import { LazyLogs } from '../pdata/lazy-logs.js';
import { decodeLogs } from '../pdata/proto.js';
import { newContext } from '../ottl/index.js';
import type { TailSubscriber } from './subscriber.js';
import { toTailRecord, type TailRecord } from './tail-record.js';

/**
 * A place in a pipeline where the live tail can look: the pipeline's head (records as they leave
 * the receivers) or the output of one of its processors. With nobody subscribed the tap costs one
 * property read per request.
 */
export class TapPoint {
  readonly subscribers = new Set<TailSubscriber>();

  constructor(
    readonly pipeline: string,
    /** The processor whose output this is; undefined for the pipeline's head. */
    readonly processor: string | undefined,
  ) {}

  /** Shows `logs` to every subscriber, synchronously; never throws, never waits. */
  offer(logs: Logs): void {
    const now = performance.now();
    let anyBudget = false;
    for (const s of this.subscribers) if (s.hasBudget(now)) anyBudget = true;
    if (!anyBudget) {
      // Everyone is at their rate: do not even decode (a pass-through pipeline never decodes).
      const n = countLogRecords(logs);
      for (const s of this.subscribers) s.skip(n, now);
      return;
    }
    let resourceLogs: ResourceLogs[];
    try {
      resourceLogs = readRecords(logs);
    } catch {
      return; // the receiver's walk accepted these bytes, so decode cannot fail; a tail never breaks the path
    }
    for (const rl of resourceLogs) {
      const ctx = newContext(rl);
      for (const sl of rl.scopeLogs) {
        ctx.scopeLogs = sl;
        for (const r of sl.logRecords) {
          ctx.record = r;
          let view: TailRecord | undefined;
          for (const s of this.subscribers) {
            if (!s.active) continue;
            ctx.cache = undefined;
            if (s.where !== undefined && !holds(s.where, ctx)) continue;
            if (!s.wants(now)) continue;
            view ??= toTailRecord(rl, sl, r);
            s.accept(view, now);
          }
        }
      }
    }
  }
}

/**
 * The records of a request without changing what the pipeline sees: an undecoded request is
 * decoded into a copy of our own, so the pipeline keeps forwarding its wire bytes untouched.
 */
function readRecords(logs: Logs): ResourceLogs[] {
  if (logs instanceof LazyLogs) {
    const bytes = logs.pristineBytes;
    if (bytes !== undefined) return decodeLogs(bytes).resourceLogs;
  }
  return logs.resourceLogs;
}

function holds(where: (ctx: never) => boolean, ctx: unknown): boolean {
  try {
    return where(ctx as never) === true;
  } catch {
    return false; // a condition failing on one record (a missing attribute) means "no match"
  }
}

/** The consumer the pipeline calls: shows the logs to the tap, then hands them on unchanged. */
export function tapped(point: TapPoint, next: LogsConsumer): LogsConsumer {
  return {
    consume(logs, signal) {
      if (point.subscribers.size > 0) point.offer(logs);
      return next.consume(logs, signal);
    },
  };
}
