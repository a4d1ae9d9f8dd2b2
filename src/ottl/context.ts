import type { KeyValue, LogRecord, ResourceLogs, ScopeLogs } from '../pdata/model.js';

/**
 * What a compiled statement runs against. One object is reused across every record of a batch
 * (the hot loop only swaps the references), so statements must not keep it.
 *
 * `kind` says which level the statements were compiled for: `log` statements see the record and
 * its scope and resource; `scope` statements run once per ScopeLogs; `resource` once per
 * ResourceLogs.
 */
export type ContextKind = 'log' | 'scope' | 'resource';

export interface TransformContext {
  resourceLogs: ResourceLogs;
  scopeLogs: ScopeLogs | undefined;
  record: LogRecord | undefined;
  /** OTTL's `cache` map: scratch space that lives for one record (or scope/resource) only. */
  cache: KeyValue[] | undefined;
}

export function newContext(resourceLogs: ResourceLogs): TransformContext {
  return { resourceLogs, scopeLogs: undefined, record: undefined, cache: undefined };
}
