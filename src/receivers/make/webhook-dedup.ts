import { LRUCache } from 'lru-cache';
import { Counter, type Registry } from 'prom-client';

/**
 * Make's HTTP module retries, and scenarios are often built with the same push on two routes, so
 * one execution can arrive more than once. Within `dedup_window` an execution id (`id` of an
 * execution-shaped object) is delivered once. Ids are claimed when a request is mapped and
 * released again if the pipeline refuses it, so a 503 followed by Make's retry still delivers.
 */

/** Ids kept at most; at Make's busiest plans this is hours of executions, in a few MB. */
export const DEDUP_MAX_IDS = 100_000;
export const DUPLICATES_METRIC = 'gateway_make_webhook_duplicates_total';

export interface DedupResult {
  /** The body without duplicate executions (same shape: object or array). */
  body: unknown;
  /** Ids claimed by this request (release them if it is refused). */
  claimed: string[];
  duplicates: number;
}

export class WebhookDeduplicator {
  private readonly seen: LRUCache<string, true>;
  private readonly duplicates: Counter<'receiver'>;

  constructor(
    windowMs: number,
    registry: Registry,
    private readonly receiverId: string,
  ) {
    this.seen = new LRUCache({ max: DEDUP_MAX_IDS, ttl: Math.max(1, windowMs), ttlAutopurge: false });
    this.duplicates = duplicatesCounter(registry);
  }

  filter(body: unknown): DedupResult {
    const items = Array.isArray(body) ? body : [body];
    const claimed: string[] = [];
    const kept = items.filter((item) => {
      const id = executionId(item);
      if (id === undefined) return true;
      if (this.seen.has(id)) return false;
      this.seen.set(id, true);
      claimed.push(id);
      return true;
    });
    const duplicates = items.length - kept.length;
    if (duplicates > 0) this.duplicates.inc({ receiver: this.receiverId }, duplicates);
    return { body: Array.isArray(body) ? kept : (kept[0] ?? []), claimed, duplicates };
  }

  release(ids: string[]): void {
    for (const id of ids) this.seen.delete(id);
  }
}

function executionId(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const o = item as Record<string, unknown>;
  if (o.scenarioId === undefined || typeof o.id !== 'string' || o.id === '') return undefined;
  return `${String(o.scenarioId)}/${o.id}`;
}

/** One counter per registry (several receivers share a gateway's registry). */
function duplicatesCounter(registry: Registry): Counter<'receiver'> {
  const existing = registry.getSingleMetric(DUPLICATES_METRIC);
  if (existing) return existing as Counter<'receiver'>;
  return new Counter({ name: DUPLICATES_METRIC, help: 'Make webhook executions dropped as duplicates of one pushed within dedup_window.', labelNames: ['receiver'], registers: [registry] });
}
