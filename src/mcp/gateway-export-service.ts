import { join } from 'node:path';
import { GatewayError } from '../errors.js';
import { ExportEngine } from '../export/engine.js';
import type { MakeSource } from '../export/make-source.js';
import { resolveReceiverId } from '../export/make-source.js';
import { exportsStorage } from '../export/runtime.js';
import { ExportService } from '../export/service.js';
import type { CreateSettings, LogsConsumer } from '../pipeline/component.js';
import type { GatewayView } from '../pipeline/gateway-view.js';

/**
 * The export service of a RUNNING gateway, for the MCP tools served over HTTP by the admin
 * extension: reads go through the running make receiver's own API client (its rate budget),
 * exporter destinations through the running exporter's queue. (`make-otel-gateway mcp` builds a
 * standalone one instead: src/export/runtime.ts.)
 */
export interface GatewayExportService {
  service: ExportService;
  close(): Promise<void>;
}

interface ApiAccessProvider {
  apiAccess(): Promise<MakeSource | undefined>;
}

export function openGatewayExportService(gateway: GatewayView, settings: CreateSettings): GatewayExportService {
  const config = gateway.config;
  const receiver = resolveReceiverId(config);
  const storage = exportsStorage(config, settings);
  const store = storage.openJobStore();
  const source = async (receiverId: string): Promise<MakeSource> => {
    const r = gateway.component('receiver', receiverId) as Partial<ApiAccessProvider> | undefined;
    if (!r || typeof r.apiAccess !== 'function') throw new GatewayError('EXPORT_FAILED', `receiver "${receiverId}" is not a make receiver running in a pipeline of this gateway`);
    const access = await r.apiAccess();
    if (!access) throw new GatewayError('EXPORT_FAILED', `receiver "${receiverId}" does not poll the Make API (api_token not set, or its poller did not start)`);
    return access;
  };
  const exporter = async (id: string): Promise<LogsConsumer> => {
    const e = gateway.component('exporter', id) as Partial<LogsConsumer> | undefined;
    if (!e || typeof e.consume !== 'function') throw new GatewayError('EXPORT_FAILED', `exporter "${id}" is not running in a pipeline of this gateway`);
    return e as LogsConsumer;
  };
  const engine = new ExportEngine({ store, settings, source, exporter });
  const service = new ExportService({ engine, receiver, defaultDirectory: join(storage.directory, 'exports'), source });
  return {
    service,
    async close() {
      await service.close();
      store.close();
    },
  };
}
