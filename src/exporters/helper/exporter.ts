import { PermanentError, RetryableError } from '../../errors.js';
import type { Logs } from '../../pdata/model.js';
import { countLogRecords } from '../../pdata/model.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import type { ExporterHelperConfig } from './config.js';
import type { ExportRequest, LogsSender } from './sender.js';

/**
 * PLACEHOLDER (to be replaced by the queue work): sends synchronously on consume, no queue, no
 * retry. Exists so exporters can be wired end to end before the durable queue lands.
 */
export function createExporter(settings: CreateSettings, config: ExporterHelperConfig, sender: LogsSender): Component & LogsConsumer {
  let started = false;
  return {
    async start(_host: Host) {
      await sender.start?.();
      started = true;
    },
    async shutdown() {
      if (!started) return;
      started = false;
      await sender.shutdown?.();
    },
    async consume(logs: Logs) {
      const records = countLogRecords(logs);
      const req: ExportRequest = { records, logs: () => logs, bytes: () => { throw new Error('placeholder exporter has no encoder'); } };
      const result = await sender.send(req, AbortSignal.timeout(config.timeout));
      if (result.kind === 'success') {
        settings.telemetry.exporterSent.inc({ exporter: settings.id }, records);
        return;
      }
      settings.telemetry.exporterSendFailed.inc({ exporter: settings.id }, records);
      if (result.kind === 'retryable') throw new RetryableError(result.reason, result.retryAfterMs);
      throw new PermanentError(result.reason);
    },
  };
}
