// The ceiling for any JS gateway on this machine: a plain Node server that forwards each OTLP/HTTP
// request body to the backend without decoding and acknowledges once the backend answered.
// With a third port it also serves OTLP/gRPC the same way on node:http2 (unary Export: the
// 5-byte length prefix stripped, the body forwarded, an empty response and grpc-status 0 once the
// backend answered): the gRPC ceiling, so a gRPC client's own cost can be told from the gateway's.
// Usage: node bench/passthrough.mjs <listenPort> <backendPort> [grpcPort]
import { createServer, Agent, request } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';

const [listenPort, backendPort, grpcPort] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function forward(body, done) {
  const out = request(
    { host: '127.0.0.1', port: backendPort, method: 'POST', path: '/v1/logs', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
    (up) => {
      up.resume();
      up.on('end', () => done(up.statusCode === 200));
    },
  );
  out.on('error', () => done(false));
  out.end(body);
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => forward(Buffer.concat(chunks), (ok) => res.writeHead(ok ? 200 : 503, { 'content-type': 'application/x-protobuf' }).end()));
});
server.keepAliveTimeout = 60_000;
server.listen(listenPort, '127.0.0.1', () => process.stdout.write(`ready ${listenPort}\n`));

if (grpcPort) {
  const EMPTY = Buffer.alloc(5);
  const h2 = createHttp2Server();
  h2.on('stream', (stream) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () =>
      forward(Buffer.concat(chunks).subarray(5), (ok) => {
        if (stream.destroyed) return;
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers(ok ? { 'grpc-status': '0' } : { 'grpc-status': '14', 'grpc-message': 'backend unavailable' }));
        stream.end(ok ? EMPTY : undefined);
      }),
    );
    stream.on('error', () => {});
  });
  h2.listen(grpcPort, '127.0.0.1');
}
