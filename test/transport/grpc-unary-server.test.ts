import { status } from '@grpc/grpc-js';
import type { ClientHttp2Session } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import type { UnaryMethod } from '../../src/transport/grpc/unary-call.js';
import { GrpcUnaryServer } from '../../src/transport/grpc/unary-server.js';
import { framed, openSession, rawCall } from '../receivers/otlp/grpc-wire.js';

/** The unary gRPC server on its own: what a method sees (signal, headers) and how its failures are answered. */

const PATH = '/test.Service/Call';
let server: GrpcUnaryServer | undefined;
let session: ClientHttp2Session | undefined;
const refused: number[] = [];
const handlerErrors: unknown[] = [];
let lastPort = 0;

afterEach(async () => {
  session?.destroy();
  await server?.close(1_000);
  server = session = undefined;
  refused.length = 0;
  handlerErrors.length = 0;
});

async function serve(method: UnaryMethod): Promise<ClientHttp2Session> {
  server = new GrpcUnaryServer({
    methods: new Map([[PATH, method]]),
    maxRecvMessageBytes: 1024 * 1024,
    onRefused: (code) => refused.push(code),
    onHandlerError: (err) => handlerErrors.push(err),
  });
  const port = await server.listen('127.0.0.1', 0);
  lastPort = port;
  session = await openSession(`127.0.0.1:${port}`);
  return session;
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

describe('GrpcUnaryServer', () => {
  it('gives the method the request metadata without transport headers, and answers its response', async () => {
    let seen: Record<string, unknown> = {};
    const s = await serve({ handle: async (message, call) => ((seen = call.headers), { response: Buffer.from([...message].reverse()) }) });
    const answer = await rawCall(s, { path: PATH, headers: { authorization: 'Bearer x', 'grpc-timeout': '5S' }, chunks: [framed(Buffer.from([1, 2, 3]))] });
    expect(answer.grpcStatus).toBe(0);
    expect([...answer.data.subarray(5)]).toEqual([3, 2, 1]);
    expect(seen.authorization).toBe('Bearer x');
    expect(Object.keys(seen).filter((k) => k.startsWith(':') || k === 'grpc-timeout' || k === 'content-type')).toEqual([]);
  });

  it("aborts the method's signal when the client cancels, and when the deadline passes", async () => {
    const signals: AbortSignal[] = [];
    const s = await serve({
      handle: (_m, call) =>
        new Promise((resolve) => {
          signals.push(call.signal);
          call.signal.addEventListener('abort', () => resolve({ status: { code: status.ABORTED, message: 'gave up' } }));
        }),
    });
    const req = s.request({ ':method': 'POST', ':path': PATH, 'content-type': 'application/grpc' });
    req.on('error', () => {});
    req.end(framed(Buffer.from([1])));
    await until(() => signals.length === 1);
    req.close(0x8);
    await until(() => signals[0].aborted);
    expect(String(signals[0].reason)).toMatch(/cancelled/);

    const answer = await rawCall(s, { path: PATH, headers: { 'grpc-timeout': '100m' }, chunks: [framed(Buffer.from([1]))] });
    expect(answer.grpcStatus).toBe(status.DEADLINE_EXCEEDED);
    await until(() => signals[1]?.aborted === true);
    expect(refused).toEqual([status.CANCELLED, status.DEADLINE_EXCEEDED]);
  });

  it('answers a refusing admit before the body has ended, without calling the method', async () => {
    let handled = 0;
    const s = await serve({ admit: () => ({ code: status.UNAUTHENTICATED, message: 'no' }), handle: async () => (handled++, { response: new Uint8Array() }) });
    const answer = await rawCall(s, { path: PATH, chunks: [framed(Buffer.alloc(100)).subarray(0, 50)], keepOpen: true });
    expect(answer.grpcStatus).toBe(status.UNAUTHENTICATED);
    expect(handled).toBe(0);
  });

  it('answers UNAVAILABLE, never crashes, when admit or the method throws', async () => {
    const s = await serve({
      admit: (headers) => {
        if (headers['x-fail'] === 'admit') throw new Error('admit broke');
        return undefined;
      },
      handle: async () => {
        throw new Error('handler broke');
      },
    });
    const a = await rawCall(s, { path: PATH, headers: { 'x-fail': 'admit' }, chunks: [framed(Buffer.from([1]))] });
    const b = await rawCall(s, { path: PATH, chunks: [framed(Buffer.from([1]))] });
    expect([a.grpcStatus, b.grpcStatus]).toEqual([status.UNAVAILABLE, status.UNAVAILABLE]);
    expect(a.grpcMessage).not.toMatch(/broke/);
    expect(handlerErrors.map((e) => (e as Error).message)).toEqual(['admit broke', 'handler broke']);
  });

  it('on close lets a call in flight finish, refuses new connections, and cancels what outlives the grace period', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let calls = 0;
    const s = await serve({ handle: async () => (calls++, await held, { response: new Uint8Array() }) });
    const inFlight = rawCall(s, { path: PATH, chunks: [framed(Buffer.from([1]))] });
    await until(() => calls === 1);
    const closing = server!.close(60_000);
    release();
    expect((await inFlight).grpcStatus).toBe(0);
    await closing;
    await expect(openSession(`127.0.0.1:${lastPort}`)).rejects.toThrow();

    const s2 = await serve({ handle: () => new Promise(() => {}) });
    const stuck = rawCall(s2, { path: PATH, chunks: [framed(Buffer.from([1]))] }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await server!.close(200);
    expect(Date.now() - started).toBeLessThan(5_000);
    const outcome = await stuck;
    // The client sees the connection end without an OK.
    expect(outcome instanceof Error || (outcome as { grpcStatus?: number }).grpcStatus !== 0).toBe(true);
  });

  it('reserves from the length prefix before the message arrives, refuses with the status reserve gives, releases when the call ends', async () => {
    const reserved: { bytes: number; compressed: boolean }[] = [];
    let released = 0;
    let refuse = false;
    let handled = 0;
    const s = await serve({
      reserve: (bytes, compressed) => {
        reserved.push({ bytes, compressed });
        if (refuse) return { code: status.RESOURCE_EXHAUSTED, message: 'no memory' };
        return { release: () => released++ };
      },
      handle: async () => (handled++, { response: Buffer.alloc(0) }),
    });
    const ok = await rawCall(s, { path: PATH, chunks: [framed(Buffer.alloc(300))] });
    expect(ok.grpcStatus).toBe(0);
    expect(reserved).toEqual([{ bytes: 300, compressed: false }]);
    expect(released).toBeGreaterThanOrEqual(1);
    refuse = true;
    const prefix = Buffer.from([0, 0, 1, 0, 0]);
    // Only the prefix, stream left open: refused from it alone, the method never runs.
    const no = await rawCall(s, { path: PATH, chunks: [prefix], keepOpen: true });
    expect(no.grpcStatus).toBe(status.RESOURCE_EXHAUSTED);
    expect(no.grpcMessage).toBe('no memory');
    expect(reserved[1]).toEqual({ bytes: 65536, compressed: false });
    expect(handled).toBe(1);
    expect(refused).toContain(status.RESOURCE_EXHAUSTED);
  });

  it('answers UNAVAILABLE, never crashes, when reserve throws', async () => {
    const s = await serve({
      reserve: () => {
        throw new Error('boom');
      },
      handle: async () => ({ response: Buffer.alloc(0) }),
    });
    const answer = await rawCall(s, { path: PATH, chunks: [framed(Buffer.from([1]))] });
    expect(answer.grpcStatus).toBe(status.UNAVAILABLE);
    expect(handlerErrors).toHaveLength(1);
    expect((await rawCall(s, { path: PATH, chunks: [framed(Buffer.from([1]))] })).grpcStatus).toBe(status.UNAVAILABLE);
  });
});
