import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request an OTLP/HTTP backend received: its path and whole body. */
export interface ReceivedRequest {
  path: string;
  body: Buffer;
}

/**
 * A backend that accepts every OTLP/HTTP request with 200 and keeps it, for the end-to-end tests
 * whose point is what the gateway sent (the strict fakes in test/fakes/ are for contracts).
 */
export async function startRecordingSink(): Promise<{ server: Server; port: number; received: ReceivedRequest[] }> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: Buffer.concat(chunks) });
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, received };
}
