import { createServer, type Server, type Socket } from 'node:net';
import { decodeMultiStream, DecodeError, encode } from '@msgpack/msgpack';
import { GatewayError } from '../../errors.js';
import { describeEndpoint } from '../../config/types.js';
import { capConnections, defaultMaxConnections } from '../../net/connection-limit.js';
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
 * over TCP. Messages of one connection are handled in order, one at a time; reading pauses while
 * one waits for the pipeline (TCP backpressure). The `{ack: chunk}` answer is written only after
 * the pipeline committed the message (docs/architecture.md §1). A refusal closes the connection
 * without an ack, so the client sends the chunk again; a malformed frame is counted
 * (`gateway_receiver_refused_requests_total{status="malformed"}`), logged, and closes the
 * connection, leaving everything before it delivered and nothing of it ingested.
 */
export class FluentforwardReceiver implements Component {
  private readonly logger: Logger;
  private readonly obs: ReceiverObsreport;
  private server?: Server;
  private readonly connections = new Map<Socket, Promise<void>>();
  /** Connections handing a message downstream right now; shutdown lets them finish it. */
  private readonly busy = new Set<Socket>();
  private signal?: AbortSignal;
  private stopping = false;
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
    const server = createServer((socket) => {
      const done = this.serve(socket).finally(() => this.connections.delete(socket));
      this.connections.set(socket, done);
    });
    capConnections(server, { name: this.settings.id, maxConnections: this.config.max_connections ?? defaultMaxConnections(), telemetry: this.settings.telemetry, logger: this.logger });
    const { host: address, port } = this.config.endpoint;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new GatewayError('COMPONENT_START_FAILED', `${this.settings.id}: cannot listen on ${describeEndpoint(this.config.endpoint)}: ${err.code ?? err.message}`)));
      server.listen(port, address, () => resolve());
    });
    this.server = server;
    const bound = server.address();
    this.port = typeof bound === 'object' && bound ? bound.port : port;
    this.logger.info('fluentforward receiver listening', { endpoint: describeEndpoint(this.config.endpoint, this.port) });
  }

  private async serve(socket: Socket): Promise<void> {
    socket.setNoDelay(true);
    socket.on('error', () => {}); // a reset connection ends the stream below; nothing else to do
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    try {
      for await (const value of decodeMultiStream(socket, decoderOptions)) {
        if (this.stopping) break;
        const message = parseMessage(value);
        const logs = forwardToLogs(message, BigInt(Date.now()) * 1_000_000n);
        this.busy.add(socket);
        try {
          await this.obs.track(message.events.length, () => this.next.consume(logs, this.signal));
        } catch (err) {
          this.obs.requestRefused(this.obs.refusal(err).httpStatus);
          this.logger.warn('fluentforward: the pipeline refused a message; closing the connection so the client sends it again', { peer, tag: message.tag, records: message.events.length, error: (err as Error).message });
          break;
        } finally {
          this.busy.delete(socket);
        }
        if (message.chunk !== undefined) socket.write(encode({ ack: message.chunk }));
        if (this.stopping) break;
      }
    } catch (err) {
      if (err instanceof ProtocolError || err instanceof DecodeError || err instanceof RangeError) {
        this.obs.requestRefused(MALFORMED_STATUS);
        this.logger.warn('fluentforward: malformed frame; connection closed', { peer, error: (err as Error).message });
      } else if (!this.stopping) {
        this.logger.debug('fluentforward: connection ended', { peer, error: (err as Error).message });
      }
    } finally {
      socket.destroy();
    }
  }

  shutdown(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
      // A connection waiting for its next frame ends now; one handing a message on finishes it first.
      for (const socket of this.connections.keys()) if (!this.busy.has(socket)) socket.destroy();
      await Promise.allSettled([...this.connections.values()]);
      await closed;
    })();
    return this.stopped;
  }
}
