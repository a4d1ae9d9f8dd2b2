import { decodeMultiStream, DecodeError, encode } from '@msgpack/msgpack';
import { describeEndpoint } from '../../config/types.js';
import { startTcpServer, type TcpConnection, type TcpKitServer } from '../../net/tcp-server.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import type { Logger } from '../../telemetry/logger.js';
import { ReceiverObsreport } from '../helper/obsreport.js';
import type { FluentforwardReceiverConfig } from './config.js';
import { forwardToLogs } from './mapping.js';
import { decoderOptions, parseMessage, ProtocolError } from './protocol.js';

const TRANSPORT = 'tcp';
/** The status label of `gateway_receiver_refused_requests_total` for a frame that is not the protocol. */
export const MALFORMED_STATUS = 'malformed';

/**
 * The `fluentforward` receiver (docs/log-inputs.md): Fluent Bit's and Fluentd's `forward` output
 * over TCP, on the server kit's TCP listener (src/net/tcp-server.ts: listen errors, `tls`,
 * `max_connections`, shutdown). Messages of one connection are handled in order, one at a time;
 * reading pauses while one waits for the pipeline (TCP backpressure). The `{ack: chunk}` answer is
 * written only after the pipeline committed the message (docs/architecture.md §1). A refusal
 * closes the connection without an ack, so the client sends the chunk again; a malformed frame is
 * counted (`gateway_receiver_refused_requests_total{status="malformed"}`), logged, and closes the
 * connection, leaving everything before it delivered and nothing of it ingested.
 */
export class FluentforwardReceiver implements Component {
  private readonly logger: Logger;
  private readonly obs: ReceiverObsreport;
  private server?: TcpKitServer;
  private signal?: AbortSignal;
  private stopped?: Promise<void>;
  /** The port bound (useful with port 0). */
  port = 0;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: FluentforwardReceiverConfig,
    private readonly next: LogsConsumer,
  ) {
    this.logger = settings.logger.child({ component: settings.id });
    this.obs = new ReceiverObsreport(settings.telemetry, settings.id, TRANSPORT);
  }

  async start(host: Host): Promise<void> {
    this.signal = host.shutdownGrace;
    this.server = await startTcpServer({
      name: this.settings.id,
      keyPath: `receivers.${this.settings.id}`,
      endpoint: this.config.endpoint,
      tls: this.config.tls,
      maxConnections: this.config.max_connections,
      telemetry: this.settings.telemetry,
      logger: this.logger,
      onConnection: (connection) => this.serve(connection),
    });
    this.port = this.server.port;
    this.logger.info('fluentforward receiver listening', { endpoint: describeEndpoint(this.config.endpoint, this.port), tls: this.server.tls });
  }

  private async serve({ socket, peer, closing, busy }: TcpConnection): Promise<void> {
    socket.setNoDelay(true);
    try {
      for await (const value of decodeMultiStream(socket, decoderOptions)) {
        if (closing.aborted) break;
        const message = parseMessage(value);
        const logs = forwardToLogs(message, BigInt(Date.now()) * 1_000_000n);
        try {
          await busy(() => this.obs.track(message.events.length, () => this.next.consume(logs, this.signal)));
        } catch (err) {
          this.obs.requestRefused(this.obs.refusal(err).httpStatus);
          this.logger.warn('fluentforward: the pipeline refused a message; closing the connection so the client sends it again', { peer, tag: message.tag, records: message.events.length, error: (err as Error).message });
          break;
        }
        if (message.chunk !== undefined) socket.write(encode({ ack: message.chunk }));
        if (closing.aborted) break;
      }
    } catch (err) {
      if (err instanceof ProtocolError || err instanceof DecodeError || err instanceof RangeError) {
        this.obs.requestRefused(MALFORMED_STATUS);
        this.logger.warn('fluentforward: malformed frame; connection closed', { peer, error: (err as Error).message });
      } else if (!closing.aborted) {
        this.logger.debug('fluentforward: connection ended', { peer, error: (err as Error).message });
      }
    }
  }

  shutdown(): Promise<void> {
    this.stopped ??= this.server?.shutdown() ?? Promise.resolve();
    return this.stopped;
  }
}
