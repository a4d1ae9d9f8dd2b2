import type { GatewayConfig, PipelineConfig } from '../config/validate.js';
import { GatewayError } from '../errors.js';
import type { FileStorageConfig } from '../extensions/file_storage/config.js';
import { fileStorageExtensionFactory, type FileStorageExtension } from '../extensions/file_storage/factory.js';
import type { StorageExtension } from '../extensions/storage.js';
import type { MakeConfig } from '../receivers/make/config.js';
import { Service } from '../pipeline/service.js';
import type { CreateSettings, LogsConsumer } from '../pipeline/component.js';
import { GatewayLogging, type Logger } from '../telemetry/logger.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { ExportEngine } from './engine.js';
import type { JobInfo } from './job.js';
import type { JobStore } from '../queue/job-store.js';
import { standaloneSource, type MakeSource } from './make-source.js';

/**
 * An export engine for a process that is not the gateway (the CLI, the MCP server): its own Make
 * client per receiver, and for exporter destinations a Service holding just that exporter (and
 * the storage/auth extensions it may name), built by the same registry machinery as the gateway.
 */

/** Extension types an exporter may depend on; others (health_check, make_exports) are left out. */
const EXPORTER_SUPPORT_EXTENSIONS = new Set(['file_storage', 'bearertokenauth']);
const DRAIN_POLL_MS = 200;

/**
 * The `file_storage` extension jobs live in: the make receivers' `storage`, else the only one.
 * Created, not started: its export jobs (`openJobStore`) need no start, and a running gateway may
 * hold its queue's database.
 */
export function exportsStorage(config: GatewayConfig, settings: Omit<CreateSettings, 'id'>, explicitStorageId?: string): StorageExtension & { openJobStore(): JobStore } {
  const storages = [...config.extensions.values()].filter((e) => e.type === 'file_storage');
  const byReceiver = [...config.receivers.values()].map((r) => (r.type === 'make' ? (r.config as MakeConfig).storage : undefined)).find((s) => s !== undefined);
  const id = explicitStorageId ?? byReceiver ?? (storages.length === 1 ? storages[0].id : undefined);
  const ext = id !== undefined ? config.extensions.get(id) : undefined;
  if (!ext || ext.type !== 'file_storage') {
    throw new GatewayError(
      'CONFIG_INVALID',
      id === undefined ? 'export jobs are kept in a file_storage directory: configure one file_storage extension (or set the make receiver\'s storage)' : `"${id}" is not a configured file_storage extension`,
    );
  }
  return fileStorageExtensionFactory.create({ ...settings, id: ext.id }, ext.config as FileStorageConfig) as FileStorageExtension;
}

export interface StandaloneRuntime {
  engine: ExportEngine;
  source(receiverId: string, signal: AbortSignal): Promise<MakeSource>;
  store: JobStore;
  telemetry: Telemetry;
  logger: Logger;
  /**
   * Opens the exporter (its persistent queue may hold records of an earlier, interrupted run) and
   * resolves once its queue is empty: everything delivered or dead-lettered.
   */
  drained(exporterId: string, onWait?: (queued: number) => void): Promise<void>;
  close(): Promise<void>;
}

export function openStandaloneRuntime(config: GatewayConfig, o: { onProgress?: (job: JobInfo) => void; logLevel?: 'debug' | 'info' | 'warn' | 'error' } = {}): StandaloneRuntime {
  const telemetry = new Telemetry();
  const logging = new GatewayLogging({ level: o.logLevel ?? 'warn' });
  const logger = logging.logger.child({ component: 'export' });
  const store = exportsStorage(config, { telemetry, logger }).openJobStore();
  const services = new Map<string, Promise<Service>>();
  const exporter = async (id: string): Promise<LogsConsumer> => {
    if (!config.exporters.has(id)) throw new GatewayError('EXPORT_FAILED', `exporter "${id}" is not configured (configured: ${[...config.exporters.keys()].join(', ') || 'none'})`);
    let s = services.get(id);
    if (!s) {
      s = startExporterService(config, id, telemetry, logger);
      services.set(id, s);
    }
    return (await s).getExporter(id) as unknown as LogsConsumer;
  };
  // One client per receiver for the process's life: every job and tool call shares its rate budget.
  const sources = new Map<string, Promise<MakeSource>>();
  const source = (rid: string, signal: AbortSignal): Promise<MakeSource> => {
    let s = sources.get(rid);
    if (!s) {
      s = standaloneSource(config, rid, { telemetry, logger }, signal);
      s.catch(() => sources.delete(rid));
      sources.set(rid, s);
    }
    return s;
  };
  const engine = new ExportEngine({ store, settings: { id: 'export', telemetry, logger }, source, exporter, onProgress: o.onProgress });
  return {
    engine,
    source,
    store,
    telemetry,
    logger,
    async drained(exporterId, onWait) {
      await exporter(exporterId);
      for (;;) {
        const queued = await queueSize(telemetry, exporterId);
        if (queued === 0) return;
        onWait?.(queued);
        await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
      }
    },
    async close() {
      for (const s of services.values()) await (await s.catch(() => undefined))?.shutdown();
      store.close();
      await logging.shutdown();
    },
  };
}

async function startExporterService(config: GatewayConfig, exporterId: string, telemetry: Telemetry, logger: Logger): Promise<Service> {
  const pipeline: PipelineConfig = { id: 'logs/export', receivers: [], processors: [], exporters: [exporterId] };
  const extensions = config.service.extensions.filter((id) => EXPORTER_SUPPORT_EXTENSIONS.has(config.extensions.get(id)?.type ?? ''));
  const only: GatewayConfig = { ...config, service: { ...config.service, extensions, pipelines: [pipeline] } };
  const service = new Service(only, telemetry, logger);
  await service.start();
  return service;
}

async function queueSize(telemetry: Telemetry, exporterId: string): Promise<number> {
  const metric = await telemetry.queueSize.get();
  return metric.values.find((v) => v.labels.exporter === exporterId)?.value ?? 0;
}
