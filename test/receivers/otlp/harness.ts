import { Client, credentials, Metadata, type ChannelCredentials, type ChannelOptions, type ServiceError } from '@grpc/grpc-js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import type { Component, Host, LogsConsumer } from '../../../src/pipeline/component.js';
import type { Logs } from '../../../src/pdata/model.js';
import { decodeStatus } from '../../../src/transport/rpc-status.js';
import { otlpReceiverFactory, type OtlpReceiver } from '../../../src/receivers/otlp/factory.js';

/**
 * Runs a real `otlp` receiver on 127.0.0.1 port 0 in front of a capturing consumer, the way the
 * pipeline would, and reads its metrics back.
 */

/** A downstream that records what it was handed, or refuses with `failWith`. */
export class CapturingConsumer implements LogsConsumer {
  readonly received: Logs[] = [];
  failWith?: unknown;
  /** While set, consume waits on it before deciding (to hold a request in flight). */
  gate?: Promise<void>;
  calls = 0;

  async consume(logs: Logs): Promise<void> {
    this.calls++;
    if (this.gate) await this.gate;
    if (this.failWith !== undefined) throw this.failWith;
    this.received.push(logs);
  }
}

export const noExtensions: Host = { getExtension: () => undefined };

export interface Running {
  receiver: OtlpReceiver;
  next: CapturingConsumer;
  telemetry: Telemetry;
  httpUrl: string;
  grpcAddress: string;
}

export async function startReceiver(
  protocols: Record<string, unknown> = { http: { endpoint: '127.0.0.1:0' }, grpc: { endpoint: '127.0.0.1:0' } },
  host: Host = noExtensions,
  id = 'otlp',
): Promise<Running> {
  const telemetry = new Telemetry({ processMetrics: false });
  const next = new CapturingConsumer();
  const config = otlpReceiverFactory.schema.parse({ protocols });
  const receiver = otlpReceiverFactory.create({ id, telemetry, logger: silentLogger }, config, next) as OtlpReceiver;
  await receiver.start(host);
  return {
    receiver,
    next,
    telemetry,
    httpUrl: `http://127.0.0.1:${receiver.httpPort}`,
    grpcAddress: `127.0.0.1:${receiver.grpcPort}`,
  };
}

/** The current value of a counter for these labels (0 when never incremented). */
export async function counterValue(
  metric: { get(): Promise<{ values: { value: number; labels: Record<string, string | number> }[] }> },
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return hit?.value ?? 0;
}

export async function stopAll(components: (Component | undefined)[]): Promise<void> {
  await Promise.all(components.map((c) => c?.shutdown()));
}

/** The google.rpc.Status of an HTTP error answer, in whichever encoding the server chose. */
export async function statusOf(res: Response): Promise<{ code: number; message: string }> {
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('application/x-protobuf')) return decodeStatus(new Uint8Array(await res.arrayBuffer()));
  return (await res.json()) as { code: number; message: string };
}

/** The OTLP logs Export method, as grpc-js names it on the wire. */
export const EXPORT_METHOD = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

export interface RawGrpcResult {
  response?: Buffer;
  error?: ServiceError;
}

/** One Export call with bytes we chose (so tests can send what no SDK would), over grpc-js. */
export function grpcExportRaw(
  address: string,
  body: Uint8Array,
  options: { metadata?: Metadata; channelOptions?: ChannelOptions; credentials?: ChannelCredentials } = {},
): Promise<RawGrpcResult> {
  const client = new Client(address, options.credentials ?? credentials.createInsecure(), options.channelOptions ?? {});
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      EXPORT_METHOD,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(body),
      options.metadata ?? new Metadata(),
      (err, response) => {
        client.close();
        resolve({ error: err ?? undefined, response });
      },
    );
  });
}
