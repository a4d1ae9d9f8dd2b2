import type { Host } from '../../pipeline/component.js';
import { contextKey, detachRequestContext, withRequestContext } from '../../pipeline/request-context.js';
import type { QueuedRequest } from '../../queue/queue.js';

/** An authenticator that needs some of the incoming request's metadata at send time (headers_setter). */
interface NeedsRequestContext {
  contextKeys(): string[];
}

function needsRequestContext(x: unknown): x is NeedsRequestContext {
  return typeof (x as { contextKeys?: unknown } | null)?.contextKeys === 'function';
}

/** The metadata keys the exporter's authenticator reads, if any (resolved at start, with the extensions). */
export function contextKeysOf(host: Host, authenticatorId: string | undefined): string[] {
  if (authenticatorId === undefined) return [];
  const ext = host.getExtension(authenticatorId);
  return needsRequestContext(ext) ? ext.contextKeys() : [];
}

/**
 * Sends queued requests that carry request metadata (src/pipeline/request-context.ts): the field is
 * taken off each request's bytes, requests with equal metadata go together, and each group's
 * delivery runs with its metadata as the current request context, so headers_setter sets the
 * headers of that group's clients and no other's. Resolves false when a group's delivery stopped
 * (shutdown): the rest stay queued, as in one delivery.
 */
export async function inContextGroups(batch: QueuedRequest[], send: (group: QueuedRequest[]) => Promise<boolean>): Promise<boolean> {
  const groups = new Map<string, { context: ReturnType<typeof detachRequestContext>['context']; requests: QueuedRequest[] }>();
  for (const request of batch) {
    const { bytes, context } = detachRequestContext(request.bytes);
    const key = contextKey(context);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { context, requests: [] }));
    // A shallow copy with the OTLP bytes only: the stored request keeps its id, items and flags.
    group.requests.push(bytes === request.bytes ? request : { ...request, bytes });
  }
  for (const { context, requests } of groups.values()) {
    if (!(await withRequestContext(context, () => send(requests)))) return false;
  }
  return true;
}
