import { GatewayError } from '../../errors.js';
import { jsonToProto } from '../../pdata/schema-codec.js';
import { REQUEST_DEF, signalRequest, type BytesSignal, type SignalRequest } from '../../pdata/signal.js';
import type { SignalConsumer } from '../../pipeline/component.js';
import type { Telemetry } from '../../telemetry/telemetry.js';

/**
 * Traces and metrics at the OTLP receiver: the body becomes a SignalRequest (protobuf walked and
 * kept as received; OTLP/JSON turned into protobuf once, since the queue holds protobuf), then
 * goes to the pipelines, counted as the Collector counts them
 * (`otelcol_receiver_accepted_spans_total`, `..._metric_points_total`).
 */
export function parseSignal(signal: BytesSignal, kind: 'proto' | 'json', body: Uint8Array): SignalRequest {
  if (kind === 'proto') return signalRequest(signal, body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new GatewayError('PAYLOAD_INVALID', `request body is not valid JSON`);
  }
  return signalRequest(signal, jsonToProto(REQUEST_DEF[signal], parsed));
}

/** Hands the request on; accepted/refused items counted by signal. Rethrows the downstream error. */
export async function consumeSignal(telemetry: Telemetry, labels: { receiver: string; transport: string }, consumer: SignalConsumer, request: SignalRequest, abort?: AbortSignal): Promise<void> {
  const counters = telemetry.signals[request.signal];
  try {
    await consumer.consume(request, abort);
  } catch (err) {
    counters.receiverRefused.inc(labels, request.items);
    throw err;
  }
  counters.receiverAccepted.inc(labels, request.items);
}
