import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The gateway's own metrics, one registry per running gateway (tests run several in one process).
 * Names follow the OpenTelemetry Collector's (docs/architecture.md §9); counters carry the `_total`
 * suffix Prometheus gives them. Our own additions use the `gateway_` prefix.
 */
export class Telemetry {
  readonly registry = new Registry();
  private readonly startedAt = Date.now();

  // --- receivers -------------------------------------------------------------------------------
  readonly receiverAccepted = this.counter('otelcol_receiver_accepted_log_records_total', 'Log records accepted and acknowledged to the client.', ['receiver', 'transport']);
  readonly receiverRefused = this.counter('otelcol_receiver_refused_log_records_total', 'Log records refused (the client got an error status).', ['receiver', 'transport']);
  readonly receiverRequestsRefused = this.counter('gateway_receiver_refused_requests_total', 'Requests refused, by the status returned (bad body, auth, size, backpressure).', ['receiver', 'transport', 'status']);

  // --- processors ------------------------------------------------------------------------------
  readonly processorIncoming = this.counter('otelcol_processor_incoming_items_total', 'Items entering a processor.', ['processor']);
  readonly processorOutgoing = this.counter('otelcol_processor_outgoing_items_total', 'Items leaving a processor.', ['processor']);
  readonly processorRefused = this.counter('gateway_processor_refused_log_records_total', 'Log records refused by a processor (memory limit).', ['processor']);
  readonly filterDropped = this.counter('gateway_processor_filter_dropped_log_records_total', 'Log records dropped on purpose by a filter.', ['processor']);
  readonly statementErrors = this.counter('gateway_processor_statement_errors_total', 'OTTL statement or condition evaluation errors.', ['processor']);

  // --- connectors ------------------------------------------------------------------------------
  readonly connectorUnrouted = this.counter('gateway_connector_unrouted_log_records_total', 'Log records a routing connector matched to no route and no default pipeline (not passed on).', ['connector']);

  // --- exporters and queues --------------------------------------------------------------------
  readonly exporterAccepted = this.counter('gateway_exporter_accepted_log_records_total', 'Log records an exporter accepted: durably queued (or, without a queue, sent).', ['exporter']);
  readonly exporterSent = this.counter('otelcol_exporter_sent_log_records_total', 'Log records the backend acknowledged.', ['exporter']);
  readonly exporterSendFailed = this.counter('otelcol_exporter_send_failed_log_records_total', 'Log records whose send attempt failed (retried or dead-lettered).', ['exporter']);
  readonly exporterEnqueueFailed = this.counter('otelcol_exporter_enqueue_failed_log_records_total', 'Log records refused at enqueue (queue full, disk error).', ['exporter']);
  // `data_type` (the Collector's label) is set on the traces and metrics queues only: a logs
  // queue's series keep the labels they always had.
  readonly queueSize = this.gauge('otelcol_exporter_queue_size', 'Current queue size, in the unit of the queue sizer.', ['exporter', 'data_type']);
  readonly queueCapacity = this.gauge('otelcol_exporter_queue_capacity', 'Queue capacity, in the unit of the queue sizer.', ['exporter', 'data_type']);
  readonly exporterRetries = this.counter('gateway_exporter_retries_total', 'Send attempts that will be retried.', ['exporter']);
  readonly deadLetterSize = this.gauge('gateway_exporter_dead_letter_size', 'Requests in the dead-letter store.', ['exporter', 'data_type']);
  readonly deadLettered = this.counter('gateway_exporter_dead_lettered_log_records_total', 'Log records moved to the dead-letter store.', ['exporter', 'reason']);
  readonly deadLetterEvicted = this.counter('gateway_exporter_dead_letter_evicted_log_records_total', 'Log records removed from a full dead-letter store (oldest first) to make room.', ['exporter']);
  readonly redelivered = this.counter('gateway_exporter_redelivered_log_records_total', 'Log records sent again after a restart (possible duplicates).', ['exporter']);
  readonly partialRejected = this.counter('gateway_exporter_partial_rejected_log_records_total', 'Log records a backend rejected through partial_success.', ['exporter']);
  readonly queueCorrupt = this.counter('gateway_queue_corrupt_records_total', 'Stored queue records that failed their checksum and were skipped.', ['exporter']);
  readonly droppedOnOverflow = this.counter('gateway_exporter_dropped_log_records_total', 'Log records dropped by an explicit drop policy.', ['exporter', 'reason']);

  // --- traces and metrics (the Collector's names; items are spans or metric data points) --------
  readonly signals = { traces: this.signalCounters('spans', 'Spans'), metrics: this.signalCounters('metric_points', 'Metric data points') };

  // --- Make receiver ---------------------------------------------------------------------------
  readonly makeExecutions = this.counter('gateway_make_executions_ingested_total', 'Make scenario executions turned into log records.', ['receiver', 'scenario_id']);
  readonly makeApiRequests = this.counter('gateway_make_api_requests_total', 'Make API calls by HTTP status (or "network").', ['receiver', 'status']);
  readonly makeExecutionErrors = this.counter('gateway_make_execution_errors_total', 'Make scenario executions that ended in error (status 3), per scenario.', ['receiver', 'scenario_id']);
  readonly makePollLag = this.gauge('gateway_make_poll_lag_seconds', 'Now minus the newest execution seen, per scenario.', ['receiver', 'scenario_id']);

  // --- process ---------------------------------------------------------------------------------
  readonly uptime = new Gauge({
    name: 'otelcol_process_uptime',
    help: 'Seconds since the gateway started.',
    registers: [this.registry],
    collect: () => {
      this.uptime.set((Date.now() - this.startedAt) / 1000);
    },
  });
  /** CPU seconds already added to `cpuSeconds` (a counter only goes up by increments). */
  private cpuSecondsReported = 0;
  /** The Collector's process_cpu_seconds: user + system time of every thread (fsync, checkpoints, GC). */
  readonly cpuSeconds = new Counter({
    name: 'otelcol_process_cpu_seconds_total',
    help: 'CPU time (user and system) the gateway process used, seconds.',
    registers: [this.registry],
    collect: () => {
      const { user, system } = process.cpuUsage();
      const total = (user + system) / 1e6;
      this.cpuSeconds.inc(Math.max(0, total - this.cpuSecondsReported));
      this.cpuSecondsReported = total;
    },
  });
  readonly rss = new Gauge({
    name: 'otelcol_process_memory_rss',
    help: 'Resident set size, bytes.',
    registers: [this.registry],
    collect: () => {
      this.rss.set(process.memoryUsage.rss());
    },
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    // process_cpu_seconds_total, process_resident_memory_bytes, nodejs_eventloop_lag_seconds, ...
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  private signalCounters(unit: string, what: string) {
    return {
      receiverAccepted: this.counter(`otelcol_receiver_accepted_${unit}_total`, `${what} accepted and acknowledged to the client.`, ['receiver', 'transport']),
      receiverRefused: this.counter(`otelcol_receiver_refused_${unit}_total`, `${what} refused (the client got an error status).`, ['receiver', 'transport']),
      exporterSent: this.counter(`otelcol_exporter_sent_${unit}_total`, `${what} the backend acknowledged.`, ['exporter']),
      exporterSendFailed: this.counter(`otelcol_exporter_send_failed_${unit}_total`, `${what} whose send attempt failed (retried or dead-lettered).`, ['exporter']),
      exporterEnqueueFailed: this.counter(`otelcol_exporter_enqueue_failed_${unit}_total`, `${what} refused at enqueue (queue full, disk error).`, ['exporter']),
      deadLettered: this.counter(`gateway_exporter_dead_lettered_${unit}_total`, `${what} moved to the dead-letter store.`, ['exporter', 'reason']),
      redelivered: this.counter(`gateway_exporter_redelivered_${unit}_total`, `${what} sent again after a restart (possible duplicates).`, ['exporter']),
      partialRejected: this.counter(`gateway_exporter_partial_rejected_${unit}_total`, `${what} a backend rejected through partial_success (not retried).`, ['exporter']),
    };
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}
