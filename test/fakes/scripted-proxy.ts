import { createServer, request as httpRequest, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A loopback HTTP proxy placed between a sender and its backend fake, for the sender contract
 * suite: it forwards requests unchanged (the Host header too, so SigV4 signatures still verify)
 * unless scripted to answer one itself: a status with headers (429 + Retry-After, 503), an error
 * body that echoes the request's headers (a careless backend repeating the credentials), or no
 * answer at all (a hung backend). It records the credential values that went through it, so a test
 * can check that none of them reaches a failure reason. With `tls` it serves HTTPS with that
 * certificate (a backend whose certificate a private CA signed) and still talks plain HTTP to the fake.
 */

export type ProxyScript =
  | { kind: 'answer'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'echo-headers'; status: number }
  | { kind: 'hang' };

/** Headers whose values are credentials wherever they appear. */
const CREDENTIAL_HEADERS = ['api-key', 'dd-api-key', 'x-api-key', 'x-amz-security-token', 'x-make-apikey'];

export interface ScriptedProxy {
  readonly url: string;
  /** Requests passed on to the backend. */
  readonly forwarded: number;
  /** Credential values seen on requests (api keys, bearer and basic tokens, session tokens). */
  credentialValues(): string[];
  next(script: ProxyScript): void;
  /** Refuse connections until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startScriptedProxy(upstream: string, options: { tls?: { cert: Buffer; key: Buffer } } = {}): Promise<ScriptedProxy> {
  const target = new URL(upstream);
  const scripts: ProxyScript[] = [];
  const credentials = new Set<string>();
  const sockets = new Set<Socket>();
  let forwarded = 0;

  const noteCredentials = (req: IncomingMessage) => {
    const auth = req.headers.authorization;
    const m = auth ? /^(?:Bearer|Basic|Token|Splunk|ApiKey)\s+(.+)$/i.exec(auth) : null;
    if (m) credentials.add(m[1]);
    for (const h of CREDENTIAL_HEADERS) {
      const v = req.headers[h];
      if (typeof v === 'string' && v) credentials.add(v);
    }
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    forwarded++;
    const headers = { ...req.headers };
    delete headers.connection;
    const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (up) => {
      const back = { ...up.headers };
      res.writeHead(up.statusCode ?? 502, back);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    out.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    noteCredentials(req);
    const script = scripts.shift();
    if (!script) return forward(req, res, body);
    if (script.kind === 'hang') return; // the socket stays open until the client gives up
    if (script.kind === 'echo-headers') {
      const text = JSON.stringify({ error: 'bad request', message: `refused request with headers ${JSON.stringify(req.headers)}` });
      return res.writeHead(script.status, { 'content-type': 'application/json' }).end(text);
    }
    res.writeHead(script.status, { 'content-type': 'application/json', ...script.headers }).end(script.body ?? '{"message":"scripted answer"}');
  };

  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    const listener: RequestListener = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handle(req, res, Buffer.concat(chunks)));
    };
    const s: Server = options.tls ? createHttpsServer(options.tls, listener) : createServer(listener);
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (!s) return resolve();
      s.close(() => resolve());
    });
  await listen();

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    get forwarded() {
      return forwarded;
    },
    credentialValues: () => [...credentials],
    next: (script) => void scripts.push(script),
    down: stop,
    up: listen,
    close: stop,
  };
}
