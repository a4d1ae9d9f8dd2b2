import { join } from 'node:path';
import type { GatewayConfig } from '../config/validate.js';
import type { StorageExtension, StorageInspection } from '../extensions/storage.js';
import type { ExtensionFactory } from '../pipeline/factory.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { silentLogger } from '../telemetry/logger.js';
import { QUEUE_DB_FILE } from './schema.js';

/**
 * `make-otel-gateway queue ...`: inspect and repair exporter queues from the files alone, so it
 * works while the gateway is stopped. It asks each storage extension of the config (created, not
 * started) for an offline view of its database (`inspect`); which exporter keeps its queue in
 * which extension comes from the exporters' `sending_queue.storage`.
 */

export const QUEUE_USAGE = `usage: make-otel-gateway queue <command> [--exporter ID] [--all]
  stats                     queued and dead-lettered requests per exporter
  dead-letter list          every dead-lettered request with its reason
  dead-letter replay        move dead letters back to the queue; a running gateway sends them now
                            (through its admin API), a stopped one at its next start
  dead-letter purge         delete dead letters for good: needs --exporter ID, or --all for every exporter`;

/** Why a bare purge is refused: it would wipe every exporter's dead letters without asking. */
export const PURGE_NEEDS_SELECTION = 'refusing "queue dead-letter purge" without a selection: it deletes dead letters for good; name one exporter with --exporter ID, or pass --all for every exporter';

export interface QueueTarget {
  exporterId: string;
  /** The storage extension that keeps the exporter's queue. */
  storage: StorageExtension;
}

export type Action = 'stats' | 'list' | 'replay' | 'purge';

/** What each action reports for an exporter whose database does not exist yet. */
const NOTHING_STORED: Record<Action, string> = {
  stats: 'queued_requests=0 dead_letter_requests=0',
  list: 'dead_letter_requests=0',
  replay: 'replayed_requests=0',
  purge: 'purged_requests=0',
};

/** Dead letters read per page by `dead-letter list`. */
const LIST_PAGE = 500;

/**
 * The exporters of a validated config that keep a persistent queue, each with its storage
 * extension, created from its config by its factory (one instance per extension id). Only an
 * extension that provides `storage` and can be inspected offline counts.
 */
export function queueTargets(config: GatewayConfig): QueueTarget[] {
  const targets: QueueTarget[] = [];
  const created = new Map<string, StorageExtension | undefined>();
  const storageOf = (id: string) => {
    if (created.has(id)) return created.get(id);
    const entry = config.extensions.get(id);
    const factory = entry?.factory as ExtensionFactory | undefined;
    let storage: StorageExtension | undefined;
    if (entry && factory?.kind === 'extension' && factory.provides?.includes('storage')) {
      const ext = factory.create({ id, telemetry: new Telemetry(), logger: silentLogger }, entry.config) as Partial<StorageExtension>;
      if (typeof ext.inspect === 'function') storage = ext as StorageExtension;
    }
    created.set(id, storage);
    return storage;
  };
  for (const [exporterId, exporter] of config.exporters) {
    // Every exporter's config carries the exporter helper's `sending_queue` (exporters/helper/config.ts).
    const queue = (exporter.config as { sending_queue?: { enabled?: boolean; storage?: string } }).sending_queue;
    if (!queue?.storage || queue.enabled === false) continue;
    const storage = storageOf(queue.storage);
    if (storage) targets.push({ exporterId, storage });
    // Its traces and metrics sides keep queues of their own (exporters/helper/signal-exporter.ts).
    for (const signal of ['traces', 'metrics'] as const) {
      if (storage && config.service.pipelines.some((p) => p.signal === signal && p.exporters.includes(exporterId))) targets.push({ exporterId: `${exporterId}#${signal}`, storage });
    }
  }
  return targets;
}

export async function runQueueCommand(args: string[], targets: QueueTarget[], out: (line: string) => void): Promise<number> {
  const parsed = parseQueueArgs(args);
  if (typeof parsed === 'string') {
    out(parsed);
    out(QUEUE_USAGE);
    return 2;
  }
  const chosen = parsed.exporter ? targets.filter((t) => t.exporterId === parsed.exporter) : targets;
  if (parsed.exporter && chosen.length === 0) {
    const known = targets.map((t) => t.exporterId).join(', ') || 'none';
    out(`exporter "${parsed.exporter}" has no persistent queue in this config (exporters with sending_queue.storage: ${known})`);
    return 2;
  }
  if (chosen.length === 0) {
    out('no exporter in this config keeps a persistent queue (set sending_queue.storage to a file_storage extension)');
    return 0;
  }
  let status = 0;
  for (const [storage, group] of groupByStorage(chosen)) {
    let inspection: StorageInspection | undefined;
    try {
      inspection = storage.inspect?.();
    } catch (err) {
      out(`error: ${(err as Error).message}`);
      status = 1;
      continue;
    }
    if (!inspection) {
      const path = join(storage.directory, QUEUE_DB_FILE);
      for (const t of group) out(`exporter=${t.exporterId} ${NOTHING_STORED[parsed.action]} note="no queue database yet at ${path}"`);
      continue;
    }
    // Damage found folding a crashed gateway's stage log: the dead-letter store describes it too.
    for (const line of inspection.warnings) out(line);
    try {
      for (const t of group) await run(parsed.action, inspection, t.exporterId, out);
    } catch (err) {
      out(`error: ${inspection.path}: ${(err as Error).message}`);
      status = 1;
    } finally {
      await inspection.close();
    }
  }
  return status;
}

async function run(action: Action, inspection: StorageInspection, exporterId: string, out: (line: string) => void): Promise<void> {
  switch (action) {
    case 'stats': {
      const s = inspection.stats(exporterId);
      out(`exporter=${exporterId} queued_requests=${s.queuedRequests} queued_records=${s.queuedRecords} queued_bytes=${s.queuedBytes} dead_letter_requests=${s.deadLetterRequests} dead_letter_records=${s.deadLetterRecords} database=${inspection.path}`);
      return;
    }
    case 'list': {
      const queue = inspection.queue(exporterId);
      let listed = 0;
      for (let after = 0; ; ) {
        const page = await queue.listDeadLetters({ limit: LIST_PAGE, after });
        for (const r of page) {
          out(`id=${r.id} exporter=${exporterId} records=${r.records} bytes=${r.bytes} attempts=${r.attempts} enqueued_at=${iso(r.enqueuedAtMs)} failed_at=${iso(r.deadLetteredAtMs)} reason=${JSON.stringify(r.reason)}`);
        }
        listed += page.length;
        if (page.length < LIST_PAGE) break;
        after = page.at(-1)!.id;
      }
      out(`exporter=${exporterId} dead_letter_requests=${listed}`);
      return;
    }
    case 'replay': {
      const r = await inspection.queue(exporterId).replayDeadLetters({ all: true });
      out(`exporter=${exporterId} replayed_requests=${r.requests} replayed_records=${r.records} note="delivered at the next start"`);
      return;
    }
    case 'purge': {
      const r = await inspection.queue(exporterId).deleteDeadLetters({ all: true });
      out(`exporter=${exporterId} purged_requests=${r.requests} purged_records=${r.records}`);
      return;
    }
  }
}

export function parseQueueArgs(args: string[]): { action: Action; exporter?: string; all: boolean } | string {
  const all = args.includes('--all');
  const rest = args.filter((a) => a !== '--all');
  let exporter: string | undefined;
  const flag = rest.findIndex((a) => a === '--exporter' || a.startsWith('--exporter='));
  if (flag >= 0) {
    const [name] = rest.splice(flag, 1);
    exporter = name.includes('=') ? name.slice(name.indexOf('=') + 1) : rest.splice(flag, 1)[0];
    if (!exporter) return 'missing exporter id after --exporter';
  }
  const [command, sub, ...extra] = rest;
  if (extra.length > 0) return `unexpected argument: ${extra[0]}`;
  if (command === 'stats' && sub === undefined) return { action: 'stats', exporter, all };
  if (command === 'dead-letter' && sub === 'purge' && exporter === undefined && !all) return PURGE_NEEDS_SELECTION;
  if (command === 'dead-letter' && (sub === 'list' || sub === 'replay' || sub === 'purge')) return { action: sub, exporter, all };
  return `unknown queue command: ${rest.join(' ') || '(none)'}`;
}

function groupByStorage(targets: QueueTarget[]): Map<StorageExtension, QueueTarget[]> {
  const groups = new Map<StorageExtension, QueueTarget[]>();
  for (const t of targets) groups.set(t.storage, [...(groups.get(t.storage) ?? []), t]);
  return groups;
}

const iso = (ms: number) => new Date(ms).toISOString();
