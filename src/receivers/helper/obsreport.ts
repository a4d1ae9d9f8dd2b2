import type { Telemetry } from '../../telemetry/telemetry.js';
import { refusalFor, type Refusal } from '../otlp/refusal.js';

/**
 * Receiver accounting in one place, as the Collector's `obsreport`: every receiver (OTLP/HTTP,
 * OTLP/gRPC, the Make webhook and poller) counts accepted and refused records and refused requests
 * the same way, and maps a downstream failure to the same answer (refusal.ts):
 * retryable → 503/UNAVAILABLE, throttled → 429/RESOURCE_EXHAUSTED, permanent → 400/INVALID_ARGUMENT,
 * anything else → 503 with a generic message. Metrics: `otelcol_receiver_accepted_log_records_total`,
 * `otelcol_receiver_refused_log_records_total` {receiver, transport} and
 * `gateway_receiver_refused_requests_total` {receiver, transport, status}.
 */
export class ReceiverObsreport {
  private readonly labels: { receiver: string; transport: string };

  /** `transport`: `http`, `grpc`, `poll`, as the Collector labels it. */
  constructor(
    private readonly telemetry: Telemetry,
    receiver: string,
    readonly transport: string,
  ) {
    this.labels = { receiver, transport };
  }

  /**
   * Runs `consume` (the hand-off downstream) for `records` records: counted accepted when it
   * resolves, refused when it rejects (the error is rethrown for the caller to answer with
   * `refusal(err)`).
   */
  async track(records: number, consume: () => Promise<void>): Promise<void> {
    try {
      await consume();
    } catch (err) {
      this.refused(records);
      throw err;
    }
    this.accepted(records);
  }

  accepted(records: number): void {
    if (records > 0) this.telemetry.receiverAccepted.inc(this.labels, records);
  }

  /** Records refused: downstream failed, or partial success rejected them. */
  refused(records: number): void {
    if (records > 0) this.telemetry.receiverRefused.inc(this.labels, records);
  }

  /** One request answered with an error `status` (an HTTP status, or a gRPC code name). */
  requestRefused(status: number | string): void {
    this.telemetry.receiverRequestsRefused.inc({ ...this.labels, status: String(status) });
  }

  /** The answer to a failure; secrets are redacted from its message and internals never shown. */
  refusal(err: unknown): Refusal {
    return refusalFor(err);
  }
}
