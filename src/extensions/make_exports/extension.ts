import { join, resolve } from 'node:path';
import { GatewayError } from '../../errors.js';
import { ExportEngine } from '../../export/engine.js';
import { exportSpecSchema, type ExportSpec } from '../../export/job.js';
import type { MakeSource } from '../../export/make-source.js';
import { ScheduleMetrics } from '../../export/schedule-metrics.js';
import { ExportScheduler, type ScheduledJob } from '../../export/scheduler.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import type { JobStore } from '../../queue/job-store.js';
import { isStorageExtension } from '../storage.js';
import type { MakeExportsConfig, ScheduledJobConfig } from './config.js';

/**
 * `make_exports`: the scheduled doors to the export engine. Runs read through the running `make`
 * receiver's own API client (its rate budget) and send to a running exporter's queue; so the
 * scheduler starts only once the gateway is ready (extensions start before receivers).
 */

/** What the pipeline service offers beyond `Host` (src/pipeline/service.ts). */
interface ServiceHost extends Host {
  getReceiver?(id: string): Component | undefined;
  getExporter?(id: string): Component | undefined;
}

interface ApiAccessProvider {
  apiAccess(): Promise<MakeSource | undefined>;
}

export class MakeExportsExtension implements Component {
  private store?: JobStore;
  private scheduler?: ExportScheduler;
  private host?: ServiceHost;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: MakeExportsConfig,
  ) {}

  async start(host: Host): Promise<void> {
    const storage = host.getExtension(this.config.storage);
    if (!isStorageExtension(storage) || !storage.openJobStore) {
      throw new GatewayError('COMPONENT_START_FAILED', `extensions.${this.settings.id}.storage: "${this.config.storage}" is not a configured file_storage extension (list it in service.extensions)`);
    }
    this.host = host as ServiceHost;
    this.store = storage.openJobStore();
    const engine = new ExportEngine({
      store: this.store,
      settings: this.settings,
      source: (id) => this.source(id),
      exporter: async (id) => this.exporter(id),
    });
    this.scheduler = new ExportScheduler({
      engine,
      jobs: this.config.jobs.map((j) => scheduledJob(j)),
      metrics: new ScheduleMetrics(this.settings.telemetry.registry),
      logger: this.settings.logger,
      history: this.config.history,
    });
  }

  /** Called by the pipeline service on every state change; the schedules begin at `ready`. */
  setStatus(state: string): void {
    if (state === 'ready') this.scheduler?.start();
  }

  async shutdown(): Promise<void> {
    await this.scheduler?.shutdown();
    this.scheduler = undefined;
    this.store?.close();
    this.store = undefined;
  }

  private async source(receiverId: string): Promise<MakeSource> {
    const receiver = this.host?.getReceiver?.(receiverId) as (Component & Partial<ApiAccessProvider>) | undefined;
    if (!receiver || typeof receiver.apiAccess !== 'function') throw new GatewayError('EXPORT_FAILED', `receiver "${receiverId}" is not a make receiver running in a pipeline of this gateway`);
    const access = await receiver.apiAccess();
    if (!access) throw new GatewayError('EXPORT_FAILED', `receiver "${receiverId}" does not poll the Make API (api_token not set, or its poller did not start)`);
    return access;
  }

  private exporter(id: string): LogsConsumer {
    const exporter = this.host?.getExporter?.(id) as (Component & Partial<LogsConsumer>) | undefined;
    if (!exporter || typeof exporter.consume !== 'function') throw new GatewayError('EXPORT_FAILED', `exporter "${id}" is not running in a pipeline of this gateway`);
    return exporter as LogsConsumer;
  }
}

function scheduledJob(j: ScheduledJobConfig): ScheduledJob {
  return {
    name: j.name,
    schedule: j.schedule,
    timezone: j.timezone,
    catchUp: j.catch_up,
    specFor(windowEndMs: number): ExportSpec {
      return exportSpecSchema.parse({
        name: j.name,
        receiver: j.receiver ?? 'make',
        fromMs: windowEndMs - j.range,
        toMs: windowEndMs,
        scenarioIds: j.scenarios,
        statuses: j.status,
        where: j.where,
        statements: j.statements,
        format: j.format,
        fields: j.fields,
        compression: j.compression,
        chunkRecords: j.chunk_records,
        chunkBytes: j.chunk_bytes,
        destination: j.exporter !== undefined ? { type: 'exporter', exporter: j.exporter } : { type: 'file', directory: join(resolve(j.out!), stamp(windowEndMs)) },
      });
    },
  };
}

/** `20261201T020000Z`: the window end, a directory name that sorts by time. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}
