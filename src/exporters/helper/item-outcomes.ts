import type { Logger } from '../../telemetry/logger.js';
import { permanent, retryable, retryPart, success, type SendResult } from './sender.js';
import { regroupRecords, type RecordRef } from './split.js';

/** What a backend that answers per item (Elasticsearch bulk items, Splunk HEC events) said of a request. */
export interface ItemOutcomes {
  /** Records sent. */
  total: number;
  /** Records the backend asked to have again (throttled, unavailable). */
  retry: RecordRef[];
  /** Why, for one of them. */
  retryReason: string;
  /** Records the backend refused for good, with why. */
  rejected: { ref: RecordRef; reason: string }[];
  retryAfterMs?: number;
}

/** How an exporter names its items and a resend in reasons and logs. */
export interface ItemWords {
  /** `elasticsearch`, `splunk_hec`: the log line's prefix. */
  exporter: string;
  /** `document`, `event`. */
  item: string;
  /** `retry`, `resend`. */
  again: string;
}

/**
 * One SendResult for a request whose items fared differently: the ones to send again are retried
 * alone (the refused ones dead-lettered beside them), refused ones alone are dead-lettered and the
 * rest counted delivered; nothing is sent twice that the backend stored. `scrub` keeps what the
 * backend echoed of credentials out of the reasons.
 */
export function resultOfItems(o: ItemOutcomes, words: ItemWords, logger: Logger, scrub: (text: string) => string = (t) => t): SendResult {
  const { total, retry, rejected } = o;
  const rejectReason = rejected.length === 0 ? '' : scrub(`${rejected.length} ${words.item}(s) refused: ${rejected[0]!.reason}`);
  const refused = () => regroupRecords(rejected.map((r) => r.ref));
  if (retry.length > 0) {
    const reason = scrub(`${retry.length} of ${total} ${words.item}(s) to ${words.again}: ${o.retryReason}`);
    if (retry.length === total) return retryable(reason, o.retryAfterMs);
    return retryPart(reason, regroupRecords(retry), rejected.length > 0 ? { logs: refused(), message: rejectReason } : undefined, o.retryAfterMs);
  }
  if (rejected.length === 0) return success();
  if (rejected.length === total) return permanent(rejectReason);
  logger.warn(`${words.exporter}: ${words.item}s refused; dead-lettering them alone`, { [`${words.item}s`]: rejected.length, reason: rejectReason });
  return success(rejected.length, rejectReason, refused());
}
