// The ceiling for any JS gateway on this machine: a plain Node server that forwards each OTLP/HTTP
// request body to the backend without decoding and acknowledges once the backend answered.
// Usage: node bench/passthrough.mjs <listenPort> <backendPort>
import { createServer, Agent, request } from 'node:http';

const [listenPort, backendPort] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const out = request(
      { host: '127.0.0.1', port: backendPort, method: 'POST', path: '/v1/logs', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
      (up) => {
        up.resume();
        up.on('end', () => res.writeHead(up.statusCode === 200 ? 200 : 503, { 'content-type': 'application/x-protobuf' }).end());
      },
    );
    out.on('error', () => res.writeHead(503).end());
    out.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(listenPort, '127.0.0.1', () => process.stdout.write(`ready ${listenPort}\n`));
