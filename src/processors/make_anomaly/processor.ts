import { LRUCache } from 'lru-cache';
import { Counter, type Registry } from 'prom-client';
import { GatewayError } from '../../errors.js';
import { isStorageExtension, type StorageClient } from '../../extensions/storage.js';
import { countLogRecords, type KeyValue, type LogRecord, type Logs } from '../../pdata/model.js';
import { fromAnyValue } from '../../pdata/values.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import { anomalyToLogRecord } from './anomaly-record.js';
import type { MakeAnomalyConfig } from './config.js';
import { AnomalyDetector, type ScenarioAnomaly } from './detector.js';
import type { ModelState } from './scenario-model.js';

export const ANOMALIES_METRIC = 'gateway_make_anomalies_total';
const EXECUTION_EVENT = 'make.scenario.execution';
const SCOPE = { name: 'make-otel-gateway/processor/make_anomaly', version: '', attributes: [], droppedAttributesCount: 0 };
/** Execution ids remembered so that a batch sent again (at-least-once) does not count twice. */
const SEEN_IDS = 200_000;
const INDEX_KEY = 'scenarios';

/**
 * Learns each Make scenario's usual error rate, duration and operations per run from the
 * execution records passing through, and adds a `make.anomaly` record (and counts it) when one
 * deviates (docs/make-receiver.md, "Anomaly detection"). Records pass through unchanged; anomaly
 * records ride in the batch that revealed them, or, for a stopped scenario, in a batch of their
 * own from the clock check. An anomaly whose batch was refused is kept and sent with the next one.
 * Baselines are written to `storage` on every check and at shutdown.
 */
export class MakeAnomalyProcessor implements Component, LogsConsumer {
  private readonly detector: AnomalyDetector;
  private readonly seen = new LRUCache<string, true>({ max: SEEN_IDS });
  private readonly resources = new Map<string, KeyValue[]>();
  private readonly counter: Counter<'processor' | 'scenario_id' | 'kind'>;
  private readonly label: { processor: string };
  private pending: LogsRecordGroup[] = [];
  private storage?: StorageClient;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private stopped?: Promise<void>;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: MakeAnomalyConfig,
    private readonly next: LogsConsumer,
    private readonly now: () => number = Date.now,
  ) {
    this.detector = new AnomalyDetector(config.grace_period);
    this.counter = anomaliesCounter(settings.telemetry.registry);
    this.label = { processor: settings.id };
  }

  async start(host: Host): Promise<void> {
    if (this.config.storage) {
      const ext = host.getExtension(this.config.storage);
      if (!isStorageExtension(ext)) throw new GatewayError('COMPONENT_START_FAILED', `${this.settings.id}: storage "${this.config.storage}" is not a configured storage extension (file_storage)`);
      this.storage = ext.getClient('processor', this.settings.id);
      await this.restore(this.storage);
    }
    this.timer = setInterval(() => void this.check(), this.config.check_interval);
    this.timer.unref();
  }

  shutdown(): Promise<void> {
    this.stopped ??= (async () => {
      clearInterval(this.timer);
      await this.checking;
      await this.persist();
    })();
    return this.stopped;
  }

  async consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    const n = countLogRecords(logs);
    this.settings.telemetry.processorIncoming.inc(this.label, n);
    const found = this.observe(logs);
    const groups = [...this.pending, ...this.group(found)];
    this.pending = [];
    for (const g of groups) logs.resourceLogs.push(toResourceLogs(g));
    this.settings.telemetry.processorOutgoing.inc(this.label, countLogRecords(logs));
    try {
      await this.next.consume(logs, signal);
    } catch (err) {
      this.pending.push(...groups);
      throw err;
    }
  }

  /** One clock check (the timer's work): closes hours, flags stopped scenarios, persists. */
  async check(): Promise<void> {
    if (this.checking) return this.checking;
    this.checking = (async () => {
      const groups = [...this.pending, ...this.group(this.detector.tick(this.now()))];
      this.pending = [];
      if (groups.length > 0) {
        try {
          await this.next.consume({ resourceLogs: groups.map(toResourceLogs) });
        } catch (err) {
          this.pending.push(...groups);
          this.settings.logger.warn('make_anomaly: downstream refused anomaly records; kept for the next batch', { error: err instanceof Error ? err.message : String(err) });
        }
      }
      await this.persist();
    })().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private observe(logs: Logs): ScenarioAnomaly[] {
    const found: ScenarioAnomaly[] = [];
    for (const rl of logs.resourceLogs) {
      const resource = rl.resource?.attributes ?? [];
      const scenarioId = attrText(resource, 'make.scenario.id');
      if (scenarioId === undefined) continue;
      for (const sl of rl.scopeLogs) {
        for (const r of sl.logRecords) {
          if (r.eventName !== EXECUTION_EVENT) continue;
          const run = toRun(r);
          if (!run) continue;
          const id = attrText(r.attributes, 'make.execution.id');
          if (id !== undefined) {
            if (this.seen.has(`${scenarioId}/${id}`)) continue;
            this.seen.set(`${scenarioId}/${id}`, true);
          }
          this.resources.set(scenarioId, resource);
          found.push(...this.detector.add(scenarioId, run));
        }
      }
    }
    return found;
  }

  private group(found: ScenarioAnomaly[]): LogsRecordGroup[] {
    const nowMs = this.now();
    const byScenario = new Map<string, LogRecord[]>();
    for (const a of found) {
      this.counter.inc({ processor: this.settings.id, scenario_id: a.scenarioId, kind: a.kind });
      const resource = this.resources.get(a.scenarioId);
      const name = resource ? attrText(resource, 'make.scenario.name') : undefined;
      const list = byScenario.get(a.scenarioId) ?? [];
      list.push(anomalyToLogRecord(a, name, nowMs));
      byScenario.set(a.scenarioId, list);
    }
    return [...byScenario].map(([id, records]) => ({
      resource: this.resources.get(id) ?? [{ key: 'service.name', value: { stringValue: 'make' } }, { key: 'make.scenario.id', value: { stringValue: id } }],
      records,
    }));
  }

  private async persist(): Promise<void> {
    if (!this.storage) return;
    const dirty = this.detector.takeDirty();
    if (dirty.length === 0) return;
    try {
      for (const [id, state] of dirty) await this.storage.set(`scenario/${id}`, JSON.stringify({ state, resource: this.resources.get(id) ?? [] }, bigintSafe));
      await this.storage.set(INDEX_KEY, JSON.stringify(this.detector.scenarioIds()));
    } catch (err) {
      this.settings.logger.warn('make_anomaly: could not store baselines; retrying at the next check', { error: err instanceof Error ? err.message : String(err) });
      this.detector.markDirty(dirty.map(([id]) => id));
    }
  }

  private async restore(storage: StorageClient): Promise<void> {
    const index = await storage.get(INDEX_KEY);
    const ids = index ? (JSON.parse(index) as string[]) : [];
    for (const id of ids) {
      const text = await storage.get(`scenario/${id}`);
      if (!text) continue;
      try {
        const { state, resource } = JSON.parse(text, bigintRevive) as { state: ModelState; resource: KeyValue[] };
        if (state?.v !== 1) continue;
        this.detector.restore(id, state);
        this.resources.set(id, resource);
      } catch {
        this.settings.logger.warn('make_anomaly: stored baseline unreadable; learning that scenario afresh', { scenario_id: id });
      }
    }
  }
}

interface LogsRecordGroup {
  resource: KeyValue[];
  records: LogRecord[];
}

function toResourceLogs(g: LogsRecordGroup) {
  return { resource: { attributes: g.resource, droppedAttributesCount: 0 }, scopeLogs: [{ scope: SCOPE, logRecords: g.records, schemaUrl: '' }], schemaUrl: '' };
}

function attrText(kvs: KeyValue[], key: string): string | undefined {
  const kv = kvs.find((x) => x.key === key);
  if (!kv) return undefined;
  const v = fromAnyValue(kv.value);
  return v === null || v === undefined ? undefined : String(v);
}

function attrNumber(kvs: KeyValue[], key: string): number | undefined {
  const kv = kvs.find((x) => x.key === key);
  const v = kv ? fromAnyValue(kv.value) : undefined;
  if (typeof v === 'bigint') return Number(v);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A finished run (pending ones come back finished); undefined for a record without a time. */
function toRun(r: LogRecord) {
  const status = attrText(r.attributes, 'make.execution.status');
  if (status === undefined || status === 'pending' || r.timeUnixNano === 0n) return undefined;
  return { atMs: Number(r.timeUnixNano / 1_000_000n), error: status === 'error', durationMs: attrNumber(r.attributes, 'make.execution.duration_ms'), operations: attrNumber(r.attributes, 'make.execution.operations') };
}

/** Resource attributes hold int64 values (bigint); JSON keeps them as tagged strings. */
function bigintSafe(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? { $bigint: v.toString() } : v;
}
function bigintRevive(_k: string, v: unknown): unknown {
  return v && typeof v === 'object' && '$bigint' in v ? BigInt((v as { $bigint: string }).$bigint) : v;
}

function anomaliesCounter(registry: Registry): Counter<'processor' | 'scenario_id' | 'kind'> {
  const existing = registry.getSingleMetric(ANOMALIES_METRIC);
  if (existing) return existing as Counter<'processor' | 'scenario_id' | 'kind'>;
  return new Counter({ name: ANOMALIES_METRIC, help: 'Make scenario anomalies detected, by kind.', labelNames: ['processor', 'scenario_id', 'kind'], registers: [registry] });
}
