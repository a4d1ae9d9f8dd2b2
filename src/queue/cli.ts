import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { GatewayConfig } from '../config/validate.js';
import { QUEUE_DB_FILE, QueueDatabase } from './database.js';
import { acquireOwnerLock } from './owner-lock.js';
import { listDeadLetters, purgeDeadLetters, queueStats, replayDeadLetters } from './dead-letter.js';

/**
 * `make-otel-gateway queue ...`: inspect and repair exporter queues from the files alone, so it
 * works while the gateway is stopped. The caller (src/cli.ts) resolves, from the config, which
 * exporters keep a persistent queue in which directory.
 */

export const QUEUE_USAGE = `usage: make-otel-gateway queue <command> [--exporter ID]
  stats                     queued and dead-lettered requests per exporter
  dead-letter list          every dead-lettered request with its reason
  dead-letter replay        move dead letters back to the queue; delivered at the next start
  dead-letter purge         delete dead letters for good`;

export interface QueueTarget {
  exporterId: string;
  directory: string;
}

type Action = 'stats' | 'list' | 'replay' | 'purge';

/** What each action reports for an exporter whose database does not exist yet. */
const NOTHING_STORED: Record<Action, string> = {
  stats: 'queued_requests=0 dead_letter_requests=0',
  list: 'dead_letter_requests=0',
  replay: 'replayed_requests=0',
  purge: 'purged_requests=0',
};

/**
 * The exporters of a validated config that keep a persistent queue, and where: those whose
 * `sending_queue.storage` names a configured `file_storage` extension.
 */
export function queueTargets(config: GatewayConfig): QueueTarget[] {
  const targets: QueueTarget[] = [];
  for (const [exporterId, exporter] of config.exporters) {
    const queue = (exporter.config as { sending_queue?: { enabled?: boolean; storage?: string } }).sending_queue;
    if (!queue?.storage || queue.enabled === false) continue;
    const storage = config.extensions.get(queue.storage);
    const directory = (storage?.config as { directory?: unknown } | undefined)?.directory;
    if (storage?.type !== 'file_storage' || typeof directory !== 'string') continue;
    targets.push({ exporterId, directory: resolve(directory) });
    // Its traces and metrics sides keep queues of their own (exporters/helper/signal-exporter.ts).
    for (const signal of ['traces', 'metrics'] as const) {
      if (config.service.pipelines.some((p) => p.signal === signal && p.exporters.includes(exporterId))) targets.push({ exporterId: `${exporterId}#${signal}`, directory: resolve(directory) });
    }
  }
  return targets;
}

export async function runQueueCommand(args: string[], targets: QueueTarget[], out: (line: string) => void): Promise<number> {
  const parsed = parseArgs(args);
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
  for (const [directory, group] of groupByDirectory(chosen)) {
    const path = join(directory, QUEUE_DB_FILE);
    if (!existsSync(path)) {
      for (const t of group) out(`exporter=${t.exporterId} ${NOTHING_STORED[parsed.action]} note="no queue database yet at ${path}"`);
      continue;
    }
    // With no gateway running, this command owns the directory for a moment: it may then fold what a
    // crashed gateway left in the stage log (stage-log.ts) into the tables it reports on.
    const unlock = ownerLockIfFree(directory);
    let database: QueueDatabase;
    try {
      database = QueueDatabase.open(directory, { fsync: true, create: false, foldStage: unlock !== undefined });
    } catch (err) {
      unlock?.();
      out(`error: ${(err as Error).message}`);
      status = 1;
      continue;
    }
    // Damage it found folding a crashed gateway's stage log: the dead-letter store describes it too.
    for (const d of database.damageFound) out(`warning: exporter=${d.exporterId} file=${d.file}${d.offset === undefined ? '' : ` offset=${d.offset}`} requests_lost=${d.requests} reason=${JSON.stringify(d.reason)}`);
    try {
      for (const t of group) run(parsed.action, database, t.exporterId, out);
    } catch (err) {
      out(`error: ${path}: ${(err as Error).message}`);
      status = 1;
    } finally {
      await database.close();
      unlock?.();
    }
  }
  return status;
}

function run(action: Action, database: QueueDatabase, exporterId: string, out: (line: string) => void): void {
  switch (action) {
    case 'stats': {
      const s = queueStats(database, exporterId);
      out(`exporter=${exporterId} queued_requests=${s.queuedRequests} queued_records=${s.queuedRecords} queued_bytes=${s.queuedBytes} dead_letter_requests=${s.deadLetterRequests} dead_letter_records=${s.deadLetterRecords} database=${database.path}`);
      return;
    }
    case 'list': {
      const rows = listDeadLetters(database, exporterId);
      for (const r of rows) {
        out(`id=${r.id} exporter=${exporterId} records=${r.records} bytes=${r.bytes} attempts=${r.attempts} enqueued_at=${iso(r.enqueuedAtMs)} failed_at=${iso(r.failedAtMs)} reason=${JSON.stringify(r.reason)}`);
      }
      out(`exporter=${exporterId} dead_letter_requests=${rows.length}`);
      return;
    }
    case 'replay': {
      const r = replayDeadLetters(database, exporterId);
      out(`exporter=${exporterId} replayed_requests=${r.requests} replayed_records=${r.records} note="delivered at the next start"`);
      return;
    }
    case 'purge': {
      const r = purgeDeadLetters(database, exporterId);
      out(`exporter=${exporterId} purged_requests=${r.requests} purged_records=${r.records}`);
      return;
    }
  }
}

function ownerLockIfFree(directory: string): (() => void) | undefined {
  try {
    return acquireOwnerLock(directory, 'queue-command');
  } catch {
    // A gateway runs on this directory: its newest requests are in its stage log, not counted here.
    return undefined;
  }
}

function parseArgs(args: string[]): { action: Action; exporter?: string } | string {
  const rest = [...args];
  let exporter: string | undefined;
  const flag = rest.findIndex((a) => a === '--exporter' || a.startsWith('--exporter='));
  if (flag >= 0) {
    const [name] = rest.splice(flag, 1);
    exporter = name.includes('=') ? name.slice(name.indexOf('=') + 1) : rest.splice(flag, 1)[0];
    if (!exporter) return 'missing exporter id after --exporter';
  }
  const [command, sub, ...extra] = rest;
  if (extra.length > 0) return `unexpected argument: ${extra[0]}`;
  if (command === 'stats' && sub === undefined) return { action: 'stats', exporter };
  if (command === 'dead-letter' && (sub === 'list' || sub === 'replay' || sub === 'purge')) return { action: sub, exporter };
  return `unknown queue command: ${rest.join(' ') || '(none)'}`;
}

function groupByDirectory(targets: QueueTarget[]): Map<string, QueueTarget[]> {
  const groups = new Map<string, QueueTarget[]>();
  for (const t of targets) groups.set(t.directory, [...(groups.get(t.directory) ?? []), t]);
  return groups;
}

const iso = (ms: number) => new Date(ms).toISOString();
