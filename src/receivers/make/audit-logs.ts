/**
 * Reads Make's audit logs (`GET /audit-logs/v2/organization/{id}` or `/team/{id}`) and hands each
 * entry downstream exactly once, with the same "no gaps, no repeats" design as the executions
 * poller (poller.ts): a cursor `{from, seen}` in storage where `from` trails the present by a
 * late-arrival window (an entry can be stored, `createdAt`, after later-triggered ones were
 * listed) and `seen` holds the uuids delivered since `from`. Each pass asks for `dateFrom=from`
 * .. now sorted by `triggeredAt` ascending, pages with `pg[last]` = the last entry's imtId, and
 * writes the cursor only after the page was durably accepted downstream.
 *
 * 403 means the organization's license has no audit logs or the token lacks `audit-logs:read`:
 * one clear warning, and the reader stops for the life of the process (no retry loop).
 */
import { isPermanent } from '../../errors.js';
import type { StorageClient } from '../../extensions/storage.js';
import type { LogsConsumer } from '../../pipeline/component.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { MakeApiError, type MakeApiClient } from './api-client.js';
import { auditEntriesToLogs, type MakeAuditLogEntry } from './audit-mapping.js';
import type { MakeAuditLogsConfig } from './config.js';
import type { ResourceContext } from './mapping.js';

/** Entries per page; Make allows up to 10000, its default is 1000. */
export const AUDIT_PAGE_LIMIT = 500;
/** How late an entry may still be listed under an earlier triggeredAt. */
export const AUDIT_LATE_WINDOW_MS = 15 * 60_000;
const CURSOR_VERSION = 1;

interface AuditCursor {
  v: typeof CURSOR_VERSION;
  from: number;
  seen: Record<string, number>;
}

export interface AuditLogReaderOptions {
  receiverId: string;
  client: MakeApiClient;
  scope: { kind: 'organization' | 'team'; id: number };
  config: MakeAuditLogsConfig;
  organizationId?: number;
  resource: ResourceContext;
  lookbackMs: number;
  storage: StorageClient;
  next: LogsConsumer;
  telemetry: Telemetry;
  logger: Logger;
  now?: () => number;
}

export class AuditLogReader {
  private disabled = false;
  private cursor?: AuditCursor;
  private readonly now: () => number;
  private readonly events?: Set<string>;

  constructor(private readonly o: AuditLogReaderOptions) {
    this.now = o.now ?? Date.now;
    this.events = o.config.events.length > 0 ? new Set(o.config.events) : undefined;
  }

  async pass(signal: AbortSignal): Promise<void> {
    if (this.disabled) return;
    const passStart = this.now();
    try {
      let cursor = this.cursor ?? (await this.load(passStart));
      this.cursor = cursor;
      let last: string | undefined;
      for (;;) {
        const page = await this.fetchPage(cursor.from, passStart, last, signal);
        const fresh = page.filter((e) => cursor.seen[e.uuid] === undefined && triggeredMs(e) !== undefined && triggeredMs(e)! > cursor.from);
        const wanted = this.events ? fresh.filter((e) => this.events!.has(e.eventName)) : fresh;
        if (wanted.length > 0) await this.deliver(wanted, signal);
        const full = page.length >= AUDIT_PAGE_LIMIT;
        const coveredUpTo = full ? (triggeredMs(page[page.length - 1]) ?? cursor.from) : passStart;
        const next = advance(cursor, fresh, coveredUpTo, passStart);
        if (JSON.stringify(next) !== JSON.stringify(cursor)) await this.o.storage.set(this.key(), JSON.stringify(next));
        cursor = next;
        this.cursor = cursor;
        if (!full) break;
        last = page[page.length - 1].imtId;
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof MakeApiError && err.status === 403) {
        this.disabled = true;
        this.o.logger.warn('Make audit logs are not available (403): the organization license has no audit logs, or the api_token lacks the audit-logs:read scope; audit_logs disabled until restart', {
          [`${this.o.scope.kind}_id`]: this.o.scope.id,
          error: err.message,
        });
        return;
      }
      this.o.logger.warn('reading Make audit logs failed; retrying next poll', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async fetchPage(from: number, to: number, last: string | undefined, signal: AbortSignal): Promise<MakeAuditLogEntry[]> {
    const path = `/audit-logs/v2/${this.o.scope.kind}/${this.o.scope.id}`;
    const body = await this.o.client.get<{ auditLogs?: unknown }>(
      path,
      { dateFrom: from, dateTo: to, 'pg[sortBy]': 'triggeredAt', 'pg[sortDir]': 'asc', 'pg[limit]': AUDIT_PAGE_LIMIT, 'pg[last]': last },
      signal,
    );
    if (!Array.isArray(body.auditLogs)) throw new MakeApiError(path, 200, 'answered without an auditLogs array');
    return (body.auditLogs as Partial<MakeAuditLogEntry>[]).filter(
      (e): e is MakeAuditLogEntry => !!e && typeof e.uuid === 'string' && typeof e.imtId === 'string' && typeof e.eventName === 'string' && typeof e.triggeredAt === 'string',
    );
  }

  private async deliver(entries: MakeAuditLogEntry[], signal: AbortSignal): Promise<void> {
    const logs = auditEntriesToLogs(this.o.resource, this.o.organizationId, entries, this.o.config.include_actor_identity, this.now());
    const labels = { receiver: this.o.receiverId, transport: 'poll' };
    try {
      await this.o.next.consume(logs);
    } catch (err) {
      if (!isPermanent(err) || signal.aborted) throw err;
      this.o.telemetry.receiverRefused.inc(labels, entries.length);
      this.o.logger.error('downstream permanently refused Make audit log entries; skipping them', { count: entries.length, error: (err as Error).message });
      return;
    }
    this.o.telemetry.receiverAccepted.inc(labels, entries.length);
  }

  private key(): string {
    return `audit/${this.o.scope.kind}/${this.o.scope.id}/cursor`;
  }

  private async load(nowMs: number): Promise<AuditCursor> {
    const text = await this.o.storage.get(this.key());
    const fresh: AuditCursor = { v: CURSOR_VERSION, from: nowMs - this.o.lookbackMs, seen: {} };
    if (text === undefined) return fresh;
    try {
      const c = JSON.parse(text) as Partial<AuditCursor>;
      if (c.v === CURSOR_VERSION && typeof c.from === 'number' && typeof c.seen === 'object' && c.seen !== null) return { v: CURSOR_VERSION, from: c.from, seen: c.seen };
    } catch {
      // fall through
    }
    this.o.logger.warn('stored Make audit log cursor unreadable; starting from initial_lookback');
    return fresh;
  }
}

function triggeredMs(e: MakeAuditLogEntry): number | undefined {
  const ms = Date.parse(e.triggeredAt);
  return Number.isNaN(ms) ? undefined : ms;
}

/** As cursor.ts advanceCursor: `from` moves only to where nothing can still arrive late. */
function advance(c: AuditCursor, delivered: MakeAuditLogEntry[], coveredUpToMs: number, passStartMs: number): AuditCursor {
  const seen = { ...c.seen };
  for (const e of delivered) seen[e.uuid] = triggeredMs(e)!;
  const from = Math.max(c.from, Math.min(coveredUpToMs, passStartMs - AUDIT_LATE_WINDOW_MS) - 1);
  for (const [id, ts] of Object.entries(seen)) if (ts < from) delete seen[id];
  return { v: CURSOR_VERSION, from, seen };
}
