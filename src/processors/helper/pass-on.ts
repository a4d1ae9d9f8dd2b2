import { countLogRecords, type Logs } from '../../pdata/model.js';
import type { CreateSettings, LogsConsumer } from '../../pipeline/component.js';

/**
 * The processorhelper of a processor that changes records in place and passes every one on
 * (attributes, resource, redaction, transform, log_metrics): `modify` runs between counting the
 * records in and out (`otelcol_processor_incoming_items` / `otelcol_processor_outgoing_items`,
 * equal: nothing is dropped), then the request goes to the next consumer, whose outcome is the
 * caller's (docs/architecture.md §5).
 */
export function passOn(settings: CreateSettings, next: LogsConsumer, logs: Logs, signal: AbortSignal | undefined, modify: (logs: Logs) => void): Promise<void> {
  const label = { processor: settings.id };
  const n = countLogRecords(logs);
  settings.telemetry.processorIncoming.inc(label, n);
  modify(logs);
  settings.telemetry.processorOutgoing.inc(label, n);
  return next.consume(logs, signal);
}
