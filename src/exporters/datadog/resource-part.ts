import type { ResourceLogs } from '../../pdata/model.js';
import { resourceFields, type MappingOptions } from './mapping.js';

/**
 * The part of every Datadog entry that comes from the resource, encoded once per resource for
 * wire-entries.ts (docs/architecture.md §10), and the keys that send a record to the slow path.
 */

/** Fields mapping.ts writes after the attributes: a record attribute with one of these names takes the slow path. */
export const RESERVED = new Set([
  'message',
  'status',
  'timestamp',
  'otel.timestamp',
  'hostname',
  'service',
  'ddsource',
  'ddtags',
  'otel.severity_number',
  'otel.severity_text',
  'otel.trace_id',
  'dd.trace_id',
  'otel.span_id',
  'dd.span_id',
  // An object cannot hold this key as data: mapping.ts's assignment sets the prototype instead.
  '__proto__',
]);

/** What every record of one resource shares. */
export interface ResourcePart {
  rl: ResourceLogs;
  /** `{` and the resource's attributes, without the closing brace. */
  head: Buffer;
  /** `,"hostname":…,"service":…,"ddsource":…,"ddtags":…`. */
  tail: Buffer;
  /** The resource's flattened keys: a record key among them takes the slow path. */
  keys: Record<string, unknown>;
  /** A resource key is also a reserved field: every record of it takes the slow path. */
  slow: boolean;
}

export function resourcePart(rl: ResourceLogs, options: MappingOptions): ResourcePart {
  const fields = resourceFields(rl, options);
  const attrs = JSON.stringify(fields.attributes);
  let tail = '';
  if (fields.hostname !== undefined) tail += ',"hostname":' + JSON.stringify(fields.hostname);
  if (fields.service !== undefined) tail += ',"service":' + JSON.stringify(fields.service);
  tail += ',"ddsource":' + JSON.stringify(options.source);
  if (fields.ddtags !== undefined) tail += ',"ddtags":' + JSON.stringify(fields.ddtags);
  return {
    rl,
    head: Buffer.from(attrs.slice(0, -1)),
    tail: Buffer.from(tail),
    keys: fields.attributes,
    slow: Object.keys(fields.attributes).some((k) => RESERVED.has(k)),
  };
}
