import type { Logs, Resource } from '../../pdata/model.js';

/**
 * Each distinct Resource of a request, once. Split batches can share one Resource object between
 * ResourceLogs; acting on it twice would hash a hash or redact a redaction. With `create`, a
 * ResourceLogs without a resource gets an empty one first (processors that add attributes).
 */
export function eachResourceOnce(logs: Logs, create: boolean, act: (resource: Resource) => void): void {
  const seen = new Set<Resource>();
  for (const rl of logs.resourceLogs) {
    if (create) rl.resource ??= { attributes: [], droppedAttributesCount: 0 };
    const resource = rl.resource;
    if (!resource || seen.has(resource)) continue;
    seen.add(resource);
    act(resource);
  }
}
