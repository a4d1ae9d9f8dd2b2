import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Answers a request whose body was not (fully) read: a 413 decided from Content-Length, a 400 or
 * 415 decided from the headers, a limit crossed mid-stream.
 *
 * Why not just answer and close: Node clients (`fetch`, `http.request`, the OTel JS exporters)
 * write the whole body before they read the answer. Closing the socket while they still write
 * resets it; they see EPIPE/ECONNRESET instead of the status and retry forever (measured: 70–90 %
 * of `fetch` and 60–100 % of `http.request` clients on oversize bodies). So the complete answer is
 * written at once with `Connection: close`, and the connection is ended only after the rest of the
 * body was read and discarded — bounded in bytes and time, so a client cannot make us read forever.
 */

/** A body this small is read to its end and the connection kept alive. */
export const KEEP_ALIVE_DRAIN_BYTES = 64 * 1024;
/** Discard at most this many times the body limit… */
export const DRAIN_LIMIT_FACTOR = 4;
/** …but at least this much, so a tiny limit does not make every refusal a reset. */
export const MIN_DRAIN_BYTES = 8 * 1024 * 1024;
/** …and for at most this long. */
export const DRAIN_TIMEOUT_MS = 5_000;

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | string;
}

/** Whether the request still has body bytes we have not read. */
export function hasUnreadBody(req: IncomingMessage): boolean {
  if (req.complete) return false;
  // Neither header: HTTP/1.1 says there is no body at all (a plain GET).
  return req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
}

function isSmallBody(req: IncomingMessage): boolean {
  const declared = Number(req.headers['content-length'] ?? NaN);
  return Number.isFinite(declared) && declared <= KEEP_ALIVE_DRAIN_BYTES;
}

/**
 * Sends `answer`. When body bytes are still unread, a small body is discarded and the connection
 * kept; a big or unsized one is discarded up to `max(4 × limit, 8 MiB)` bytes or 5 s, then the
 * connection is closed (the answer said `Connection: close`).
 */
export function sendAnswer(req: IncomingMessage, res: ServerResponse, answer: Answer, bodyLimitBytes: number): void {
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
  const headers: Record<string, string> = { ...answer.headers, 'Content-Length': String(body.byteLength) };
  if (!hasUnreadBody(req) || isSmallBody(req)) {
    // node reads (and discards) a small remainder before it parses the next request.
    if (!req.complete) req.resume();
    res.writeHead(answer.status, headers);
    res.end(body);
    return;
  }
  headers.Connection = 'close';
  res.writeHead(answer.status, headers);
  // The whole answer goes out now; `end()` (after which node closes the socket) waits for the body.
  res.write(body);
  drainThenEnd(req, res, Math.max(DRAIN_LIMIT_FACTOR * bodyLimitBytes, MIN_DRAIN_BYTES));
}

function drainThenEnd(req: IncomingMessage, res: ServerResponse, maxBytes: number): void {
  let discarded = 0;
  let done = false;
  const finish = (cut: boolean) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('close', onClose);
    res.end();
    // Past the bound the client is still sending: stop reading; it already has the answer.
    if (cut) res.once('finish', () => req.socket.destroy());
  };
  const onData = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > maxBytes) finish(true);
  };
  const onEnd = () => finish(false);
  const onClose = () => finish(false);
  const timer = setTimeout(() => finish(true), DRAIN_TIMEOUT_MS);
  timer.unref();
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('close', onClose);
  req.resume();
}
