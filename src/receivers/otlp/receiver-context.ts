import type { LogsConsumer, SignalConsumer } from '../../pipeline/component.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';

/** What both protocol servers of one receiver share. */
export interface ReceiverContext {
  /** Component id (`otlp`, `otlp/edge`): the `receiver` metric label. */
  readonly id: string;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly next: LogsConsumer;
  /** Traces and metrics pipelines' heads; absent when no such pipeline lists the receiver (404 / UNIMPLEMENTED). */
  readonly traces?: SignalConsumer;
  readonly metrics?: SignalConsumer;
}
