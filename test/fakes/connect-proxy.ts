import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A loopback forward proxy that only tunnels (HTTP CONNECT), as corporate egress proxies do for
 * the exporters' `proxy_url`: any other method gets 405, a CONNECT to anything but 127.0.0.1 gets
 * 403, and with `credentials` a CONNECT without that `Proxy-Authorization` gets 407. It records the
 * targets it opened tunnels to, so a test can tell requests went through it.
 */
export interface ConnectProxy {
  readonly url: string;
  /** `host:port` of every tunnel opened, in order. */
  readonly tunnels: string[];
  /** Requests refused (status codes). */
  readonly refusals: number[];
  close(): Promise<void>;
}

export async function startConnectProxy(options: { credentials?: { user: string; password: string } } = {}): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const refusals: number[] = [];
  const sockets = new Set<Socket>();
  const expectedAuth = options.credentials ? `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')}` : undefined;
  const server: Server = createServer((req, res) => {
    refusals.push(405);
    res.writeHead(405, { allow: 'CONNECT' }).end('only CONNECT tunnels');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const refuse = (status: number, text: string) => {
      refusals.push(status);
      client.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\n\r\n`);
    };
    const [host, port] = (req.url ?? '').split(':');
    if (host !== '127.0.0.1' || !port) return refuse(403, 'Forbidden');
    if (expectedAuth && req.headers['proxy-authorization'] !== expectedAuth) return refuse(407, 'Proxy Authentication Required');
    const upstream = connect(Number(port), host, () => {
      tunnels.push(req.url!);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    refusals,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
