import { createServer as createPlainServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { listenOrFail, type KitListener, type ListenerOptions } from './listen.js';
import { DEFAULT_SHUTDOWN_GRACE_MS } from './http-server.js';
import { loadServerTls } from './server-tls.js';

/**
 * The server kit's TCP listener, for receivers that speak a protocol of their own over TCP (the
 * Fluent Forward protocol): the same listen errors (`COMPONENT_START_FAILED` naming the key), `tls`
 * block, `max_connections` and shutdown policy as the kit's HTTP servers (http-server.ts).
 * Shutdown stops accepting, ends connections that wait for their next message at once, lets one
 * that hands a message on finish it (`busy`) for the grace period, then cuts what is left.
 */

/** One accepted connection, as its handler sees it. */
export interface TcpConnection {
  readonly socket: Socket;
  /** `host:port` of the client, for logs. */
  readonly peer: string;
  /** Aborted when the server shuts down: the handler stops after the message in hand. */
  readonly closing: AbortSignal;
  /** Runs `work` as a message in hand: shutdown waits for it (up to the grace period). */
  busy<T>(work: () => Promise<T>): Promise<T>;
}

export interface TcpServerOptions extends ListenerOptions {
  /** Serves one connection; the kit destroys the socket when it settles. Must not throw. */
  onConnection: (connection: TcpConnection) => Promise<void>;
}

/** Its shutdown lets messages in hand finish for the grace period, then cuts. */
export type TcpKitServer = KitListener;

export async function startTcpServer(o: TcpServerOptions): Promise<TcpKitServer> {
  const tls = o.tls ? await loadServerTls(o.tls, `${o.keyPath}.tls`) : undefined;
  const closing = new AbortController();
  const open = new Map<Socket, Promise<void>>();
  const busy = new Set<Socket>();
  const accept = (socket: Socket) => {
    socket.on('error', () => {}); // a reset connection ends the handler's stream; nothing else to do
    const connection: TcpConnection = {
      socket,
      peer: `${socket.remoteAddress}:${socket.remotePort}`,
      closing: closing.signal,
      async busy(work) {
        busy.add(socket);
        try {
          return await work();
        } finally {
          busy.delete(socket);
        }
      },
    };
    const done = o
      .onConnection(connection)
      .catch((err: Error) => o.logger.debug('connection handler failed', { server: o.name, error: err.message }))
      .finally(() => {
        socket.destroy();
        open.delete(socket);
      });
    open.set(socket, done);
  };
  const server: Server = tls ? createTlsServer(tls, accept) : createPlainServer(accept);
  return listenOrFail(server, o, tls !== undefined, async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    closing.abort();
    // A connection waiting for its next message ends now; one handing a message on finishes it.
    for (const socket of open.keys()) if (!busy.has(socket)) socket.destroy();
    let force: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      force = setTimeout(() => {
        for (const socket of open.keys()) socket.destroy();
        resolve();
      }, o.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
      force.unref();
    });
    // Past the grace period the sockets are cut; a handler still waiting on its consumer
    // finishes on its own (the pipeline's shutdown bounds that), not holding the shutdown.
    await Promise.race([Promise.allSettled([...open.values()]), graceOver]);
    clearTimeout(force);
    await closed;
  });
}
