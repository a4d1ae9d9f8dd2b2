import type { AddressInfo, Server } from 'node:net';
import type { HostPort } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { capConnections, defaultMaxConnections } from './connection-limit.js';
import type { ServerTlsFiles } from './server-tls.js';

/** What every kit listener, HTTP or TCP, is told. */
export interface ListenerOptions {
  /** Name in logs and the `server` metric label: `health_check`, `metrics`, `make/webhook`, a receiver's id. */
  name: string;
  /** Config path for error messages: `extensions.health_check`, `receivers.make.webhook`. */
  keyPath: string;
  endpoint: HostPort;
  tls?: ServerTlsFiles;
  /** Default: defaultMaxConnections() (below the fd limit). */
  maxConnections?: number;
  shutdownGraceMs?: number;
  telemetry: Telemetry;
  logger: Logger;
}

/** A listening kit server. */
export interface KitListener {
  readonly port: number;
  readonly address: AddressInfo;
  readonly tls: boolean;
  /** Stops accepting, lets what is in flight finish for the grace period, then cuts. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Binds a kit server (HTTP or TCP) the one way: capped at `max_connections`; a bind that fails is `COMPONENT_START_FAILED`
 * naming the config key and the address; errors after that are logged, never thrown into the
 * process; a TLS handshake that fails (wrong client certificate, old protocol, plain TCP) is the
 * client's problem and logged at debug. `stop` runs once, however often `shutdown` is called.
 */
export async function listenOrFail(server: Server, o: ListenerOptions, tls: boolean, stop: () => Promise<void>): Promise<KitListener> {
  capConnections(server, { name: o.name, maxConnections: o.maxConnections ?? defaultMaxConnections(), telemetry: o.telemetry, logger: o.logger });
  const { host, port } = o.endpoint;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new GatewayError('COMPONENT_START_FAILED', `${o.keyPath}: cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => o.logger.error('server error', { server: o.name, error: err.message }));
  server.on('tlsClientError', (err: Error) => o.logger.debug('TLS handshake failed', { server: o.name, error: err.message }));
  const address = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return { port: address.port, address, tls, shutdown: () => (stopping ??= stop()) };
}
