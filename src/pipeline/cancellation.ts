import { onAbort } from '../abort-hooks.js';
import { DEFAULT_RETRY_AFTER_MS, RetryableError } from '../errors.js';

/**
 * Cancellation through `consume` (docs/delivery.md, "Cancellation"): a request that waits (for
 * room in a full queue, for a backend) ends when its client goes away or shutdown's grace period
 * passes, with a retryable error the receiver answers 503 / UNAVAILABLE. Nothing of such a request
 * was acknowledged, so the client's resend is the only copy that counts: nothing is lost.
 *
 * Long-lived signals (the grace signal, an exporter's stop signal) are hooked with `onAbort`
 * rather than addEventListener: a hook per request on them must leave nothing behind
 * (src/abort-hooks.ts says why).
 */

/** The error a cancelled wait rejects with. */
export function cancelledError(signal: AbortSignal | undefined): RetryableError {
  const why = signal?.reason instanceof CancelReason ? signal.reason.message : 'the request was cancelled';
  return new RetryableError(`${why}; nothing was acknowledged, retry`, DEFAULT_RETRY_AFTER_MS, 'CANCELLED');
}

/** An abort reason that says in words why a wait ended (it ends up in the client's 503 body). */
export class CancelReason extends Error {}

/**
 * One signal that aborts when any of `signals` does. The result must be released with `unlink()`
 * once the request is answered, so a long-lived input does not keep it. Undefined inputs are
 * skipped; with one input left it is returned as is (no allocation on the hot path).
 */
export function linkSignals(...signals: (AbortSignal | undefined)[]): { signal: AbortSignal | undefined; unlink(): void } {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return { signal: present[0], unlink: noop };
  const aborted = present.find((s) => s.aborted);
  if (aborted) return { signal: aborted, unlink: noop };
  const controller = new AbortController();
  const unhooks: (() => void)[] = [];
  const unlink = () => {
    for (const u of unhooks.splice(0)) u();
  };
  for (const s of present) {
    unhooks.push(
      onAbort(s, () => {
        unlink();
        controller.abort(s.reason);
      }),
    );
  }
  return { signal: controller.signal, unlink };
}

/**
 * `work`, unless one of `signals` aborts first: then the returned promise rejects with
 * `cancelledError` while `work` goes on unobserved (`onAbandoned` gets it, e.g. to log how it ends).
 * Hooks rather than a linked AbortController: on the hot path (every enqueue) this costs two Set
 * entries, not a controller per request.
 */
export function untilAborted<T>(work: Promise<T>, signals: AbortSignal | undefined | readonly (AbortSignal | undefined)[], onAbandoned?: (work: Promise<T>) => void): Promise<T> {
  const list = (Array.isArray(signals) ? signals : [signals]).filter((s): s is AbortSignal => s !== undefined);
  if (list.length === 0) return work;
  const aborted = list.find((s) => s.aborted);
  if (aborted) {
    onAbandoned?.(work);
    work.catch(noop);
    return Promise.reject(cancelledError(aborted));
  }
  return new Promise<T>((resolve, reject) => {
    const unhooks = list.map((s) =>
      onAbort(s, () => {
        unhookAll();
        onAbandoned?.(work);
        reject(cancelledError(s));
      }),
    );
    const unhookAll = () => {
      for (const u of unhooks) u();
    };
    work.then(
      (v) => {
        unhookAll();
        resolve(v);
      },
      (err: unknown) => {
        unhookAll();
        reject(err);
      },
    );
  });
}

/**
 * A signal for one received request that aborts when `event` fires on `source` (an HTTP
 * response's `close`, a gRPC call's `cancelled`): its client no longer waits for the answer. For
 * an HTTP response, `close` also fires after a normal end; `answered` tells the two apart.
 */
export function requestSignal(source: { once(event: string, fn: () => void): unknown }, event: string, why: string, answered: () => boolean = () => false): AbortSignal {
  const controller = new AbortController();
  source.once(event, () => {
    if (!answered()) controller.abort(new CancelReason(why));
  });
  return controller.signal;
}

/**
 * `requestSignal` for an HTTP/1 server's response, one signal per connection instead of one per
 * request: an AbortController per request was 3.5 % of the gateway's CPU with 1-record requests
 * (BENCHMARKS.md, issue 23). The connection's signal aborts when its socket closes while the
 * latest response on it is unfinished: responses on a connection finish in order, so that one is
 * unfinished whenever any is. A socket closes once (and takes no more requests after), so a signal
 * that aborted is never handed to a later request. A response without a live socket gets its own.
 */
export function responseSignal(res: { socket: ConnectionSocket | null; writableFinished: boolean; once(event: string, fn: () => void): unknown }, why: string): AbortSignal {
  const socket = res.socket;
  if (!socket || socket.destroyed) return requestSignal(res, 'close', why, () => res.writableFinished);
  let connection = connections.get(socket);
  if (!connection) {
    const created: ConnectionCancel = { controller: new AbortController(), latest: res };
    connection = created;
    connections.set(socket, created);
    socket.once('close', () => {
      if (!created.latest.writableFinished) created.controller.abort(new CancelReason(why));
    });
  }
  connection.latest = res;
  return connection.controller.signal;
}

interface ConnectionSocket {
  destroyed: boolean;
  once(event: 'close', fn: () => void): unknown;
}
interface ConnectionCancel {
  controller: AbortController;
  latest: { writableFinished: boolean };
}
const connections = new WeakMap<ConnectionSocket, ConnectionCancel>();

function noop(): void {}
