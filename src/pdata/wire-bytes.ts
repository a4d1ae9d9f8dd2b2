import { LazyLogs } from './lazy-logs.js';
import type { Logs } from './model.js';

/**
 * The protobuf bytes a `Logs` object was decoded from, so an exporter that queues or sends OTLP
 * protobuf can reuse them instead of encoding the same data again (docs/architecture.md §10: decode once,
 * forward the bytes when nothing changed them). Measured on the bench payload (100 records,
 * 29.5 KB): encoding costs ~0.2 ms per request, about a fifth of the gateway's CPU per request.
 *
 * Valid only while nothing changed the object: the OTLP receivers remember bytes only for a request
 * they pass on unmodified (a LazyLogs, decoded only if something reads it: lazy-logs.ts), and a pipeline whose processors may change records forgets them at its
 * head (pipeline/service.ts). Anything that builds a new Logs (batching, cloning for fan-out,
 * partial rejection) has no entry and is encoded as before. Keyed weakly: the bytes live exactly
 * as long as the decoded object.
 */
const wireBytes = new WeakMap<Logs, Uint8Array>();

export function rememberWireBytes(logs: Logs, bytes: Uint8Array): void {
  wireBytes.set(logs, bytes);
}

/** The request's original protobuf bytes, or undefined when they are unknown or may be stale. */
export function wireBytesOf(logs: Logs): Uint8Array | undefined {
  // A lazily decoded request that nothing has read is its bytes, whatever the pipeline forgot.
  return wireBytes.get(logs) ?? (logs instanceof LazyLogs ? logs.pristineBytes : undefined);
}

export function forgetWireBytes(logs: Logs): void {
  wireBytes.delete(logs);
}
