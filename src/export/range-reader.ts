import { MakeApiError, type MakeApiClient } from '../receivers/make/api-client.js';
import type { MakeExecution } from '../receivers/make/mapping.js';

/**
 * Reads one scenario's executions in [fromMs, toMs) the way the poller does: `from`/`to` in epoch
 * ms, ascending imtId order, `pg[last]` as the cursor (stable under inserts, unlike an offset).
 * Make's `to` is inclusive, so the request asks for `to - 1`: consecutive windows (schedules)
 * then never share an execution.
 */

/** Executions per page: the poller's page size. */
export const EXPORT_PAGE_LIMIT = 100;

export interface RangePage {
  executions: MakeExecution[];
  /** The imtId to continue after; undefined on the last page. */
  next?: string;
  /** imtId of the page's last execution (the resume point after this page). */
  tail?: string;
}

export async function readPage(
  client: MakeApiClient,
  scenarioId: number,
  range: { fromMs: number; toMs: number },
  after: string | undefined,
  apiStatus: number | undefined,
  signal: AbortSignal,
): Promise<RangePage> {
  const path = `/scenarios/${scenarioId}/logs`;
  const body = await client.get<{ scenarioLogs?: unknown }>(
    path,
    { from: range.fromMs, to: range.toMs - 1, status: apiStatus, 'pg[sortDir]': 'asc', 'pg[limit]': EXPORT_PAGE_LIMIT, 'pg[last]': after },
    signal,
  );
  if (!Array.isArray(body.scenarioLogs)) throw new MakeApiError(path, 200, 'answered without a scenarioLogs array');
  const raw = body.scenarioLogs as Partial<MakeExecution>[];
  const executions = raw.filter((e): e is MakeExecution => !!e && typeof e.id === 'string' && typeof e.imtId === 'string');
  const tail = raw[raw.length - 1]?.imtId;
  const full = raw.length >= EXPORT_PAGE_LIMIT && typeof tail === 'string';
  return { executions, next: full ? tail : undefined, tail: typeof tail === 'string' ? tail : undefined };
}
