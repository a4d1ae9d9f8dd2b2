// OTLP/gRPC load generator on bare node:http2, the counterpart of loadgen.mjs's bare node:http:
// unary LogsService/Export calls written by hand (5-byte length prefix, `te: trailers`,
// `grpc-timeout`), the status read from the `grpc-status` trailer. It exists so that gRPC and HTTP
// can be compared with clients of the same weight: grpc-loadgen.mjs's @grpc/grpc-js client costs
// the loopback round trip more CPU and latency than node:http does (BENCHMARKS.md, issue 15), and
// that difference belongs to the client, not to the server being measured. `channels` HTTP/2
// sessions carry the calls round robin, as grpc-loadgen.mjs's channels do. Same result shape.
import { connect, constants } from 'node:http2';
import { driveLoad, loadResult } from './load-loop.mjs';

const EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
// gRPC status codes by number, for the `statuses` counts (the names grpc-loadgen.mjs reports).
const CODE_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

function frame(body) {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0; // not compressed
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

export async function runGrpcH2Load({ port, body, recordsPerRequest, concurrency = 8, durationMs = 10_000, ratePerSec, channels = 4 }) {
  const sessions = Array.from({ length: channels }, () => connect(`http://127.0.0.1:${port}`));
  await Promise.all(sessions.map((s) => new Promise((res, rej) => s.once('connect', res).once('error', rej))));
  const message = frame(Buffer.from(body));
  const latencies = [];
  const statuses = {};
  const details = {};
  let ackedRequests = 0;
  let sent = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const count = (name, detail) => {
    statuses[name] = (statuses[name] ?? 0) + 1;
    if (detail && name !== 'OK') details[name] ??= detail;
  };

  const send = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const session = sessions[sent++ % sessions.length];
      const stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: EXPORT_PATH,
        [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        te: 'trailers',
        'grpc-timeout': '10S',
      });
      let code;
      let detail;
      stream.on('response', (headers) => {
        // A Trailers-Only answer carries grpc-status in the headers.
        if (headers['grpc-status'] !== undefined) {
          code = Number(headers['grpc-status']);
          detail = headers['grpc-message'];
        }
      });
      stream.on('trailers', (trailers) => {
        code = Number(trailers['grpc-status']);
        detail = trailers['grpc-message'];
      });
      stream.on('data', () => {});
      stream.on('error', (e) => count(e.code ?? 'error', e.message));
      stream.on('close', () => {
        if (code === undefined) count('NO_STATUS');
        else {
          count(CODE_NAMES[code] ?? String(code), detail);
          if (code === 0) {
            ackedRequests++;
            latencies.push(performance.now() - t0);
          }
        }
        resolve();
      });
      stream.end(message);
    });

  await driveLoad(send, { concurrency, ratePerSec, deadline });
  const elapsedMs = performance.now() - started;
  await Promise.all(sessions.map((s) => new Promise((res) => s.close(res))));
  return loadResult({ latencies, ackedRequests, recordsPerRequest, elapsedMs, statuses, details });
}
