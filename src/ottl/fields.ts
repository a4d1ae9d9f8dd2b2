import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, Resource } from '../pdata/model.js';
import type { PathExpr } from './ast.js';
import type { ContextKind, TransformContext } from './context.js';
import { OttlParseError } from './errors.js';
import type { Getter, Setter } from './paths.js';
import { fromAny, OttlMap, OttlTime, toAny, type Value } from './value.js';

/**
 * The fields of the log data model that OTTL paths name, per context: how each is read and
 * written. `paths.ts` adds the `[key]` navigation on top.
 */

/**
 * Which context a path's prefix names (`log.`, `resource.`, `scope.`/`instrumentation_scope.`);
 * `undefined` for unprefixed (legacy) paths, which belong to the context being compiled.
 */
export function pathOwner(segments: string[]): ContextKind | undefined {
  if (segments.length < 2) return undefined;
  switch (segments[0]) {
    case 'log':
      return 'log';
    case 'resource':
      return 'resource';
    case 'scope':
    case 'instrumentation_scope':
      return 'scope';
  }
  return undefined;
}

export interface Root {
  get: Getter;
  set: Setter;
  /** Map roots: the KeyValue list itself (navigated by `[key]` unless `any` is also set). */
  map?: (ctx: TransformContext, create: boolean) => KeyValue[] | undefined;
  /** The body: the AnyValue slot, created on demand. */
  any?: (ctx: TransformContext, create: boolean) => AnyValue | undefined;
}

const EMPTY_RESOURCE = (): Resource => ({ attributes: [], droppedAttributesCount: 0 });
const EMPTY_SCOPE = (): InstrumentationScope => ({ name: '', version: '', attributes: [], droppedAttributesCount: 0 });

function resourceOf(ctx: TransformContext, create: boolean): Resource | undefined {
  const rl = ctx.resourceLogs;
  if (!rl.resource && create) rl.resource = EMPTY_RESOURCE();
  return rl.resource;
}

function scopeOf(ctx: TransformContext, create: boolean): InstrumentationScope | undefined {
  const sl = ctx.scopeLogs;
  if (!sl) return undefined;
  if (!sl.scope && create) sl.scope = EMPTY_SCOPE();
  return sl.scope;
}

function mapRoot(kvs: (ctx: TransformContext, create: boolean) => KeyValue[] | undefined, replace: (ctx: TransformContext, kvs: KeyValue[]) => void): Root {
  return {
    map: kvs,
    get: (ctx) => {
      const m = kvs(ctx, false);
      return m ? new OttlMap(m) : new OttlMap([]);
    },
    set: (ctx, v) => {
      if (v instanceof OttlMap) {
        const copy = toAny(v).kvlistValue!.values;
        replace(ctx, copy);
      }
    },
  };
}

/** A scalar field: writes of the wrong type are ignored, as in the Collector. */
function scalar<T>(read: (r: LogRecord) => Value, accept: (v: Value) => T | undefined, write: (r: LogRecord, v: T) => void): Root {
  return {
    get: (ctx) => read(ctx.record!),
    set: (ctx, v) => {
      const t = accept(v);
      if (t !== undefined) write(ctx.record!, t);
    },
  };
}

const asInt = (v: Value) => (typeof v === 'bigint' ? v : undefined);
const asString = (v: Value) => (typeof v === 'string' ? v : undefined);
const asTime = (v: Value) => (v instanceof OttlTime ? v.unixNano : undefined);
const asBytes = (len: number) => (v: Value) => (v instanceof Uint8Array && (v.length === len || v.length === 0) ? v.slice() : undefined);
const asHexId = (len: number) => (v: Value) => {
  if (typeof v !== 'string') return undefined;
  if (v === '') return new Uint8Array(0);
  return v.length === len * 2 && /^[0-9a-fA-F]+$/.test(v) ? Uint8Array.from(Buffer.from(v, 'hex')) : undefined;
};
const INT32_MAX = 2 ** 32 - 1;
const asUint32 = (v: Value) => (typeof v === 'bigint' && v >= 0n && v <= BigInt(INT32_MAX) ? Number(v) : undefined);

function logField(field: string, sub: string | undefined): Root | undefined {
  if (sub !== undefined) {
    if (sub !== 'string') return undefined;
    if (field === 'trace_id') return scalar((r) => Buffer.from(r.traceId).toString('hex'), asHexId(16), (r, v) => (r.traceId = v));
    if (field === 'span_id') return scalar((r) => Buffer.from(r.spanId).toString('hex'), asHexId(8), (r, v) => (r.spanId = v));
    return undefined;
  }
  switch (field) {
    case 'body':
      return {
        get: (ctx) => fromAny(ctx.record!.body),
        set: (ctx, v) => {
          ctx.record!.body = toAny(v);
        },
        any: (ctx, create) => {
          const r = ctx.record!;
          if (!r.body && create) r.body = { kvlistValue: { values: [] } };
          return r.body;
        },
        // For map editors on a map body (keep_keys(body, …)); `[key]` navigation uses `any`.
        map: (ctx, create) => {
          const r = ctx.record!;
          if (r.body?.kvlistValue) return r.body.kvlistValue.values;
          if (!create || (r.body && fromAny(r.body) !== null)) return undefined;
          r.body = { kvlistValue: { values: [] } };
          return r.body.kvlistValue!.values;
        },
      };
    case 'attributes':
      return mapRoot(
        (ctx) => ctx.record!.attributes,
        (ctx, kvs) => (ctx.record!.attributes = kvs),
      );
    case 'severity_number':
      return scalar((r) => BigInt(r.severityNumber), asInt, (r, v) => (r.severityNumber = Number(v)));
    case 'severity_text':
      return scalar((r) => r.severityText, asString, (r, v) => (r.severityText = v));
    case 'time_unix_nano':
      return scalar((r) => r.timeUnixNano, asInt, (r, v) => (r.timeUnixNano = v));
    case 'observed_time_unix_nano':
      return scalar((r) => r.observedTimeUnixNano, asInt, (r, v) => (r.observedTimeUnixNano = v));
    case 'time':
      return scalar((r) => new OttlTime(r.timeUnixNano), asTime, (r, v) => (r.timeUnixNano = v));
    case 'observed_time':
      return scalar((r) => new OttlTime(r.observedTimeUnixNano), asTime, (r, v) => (r.observedTimeUnixNano = v));
    case 'trace_id':
      return scalar((r) => r.traceId, asBytes(16), (r, v) => (r.traceId = v));
    case 'span_id':
      return scalar((r) => r.spanId, asBytes(8), (r, v) => (r.spanId = v));
    case 'event_name':
      return scalar((r) => r.eventName, asString, (r, v) => (r.eventName = v));
    case 'flags':
      return scalar((r) => BigInt(r.flags), asUint32, (r, v) => (r.flags = v));
    case 'dropped_attributes_count':
      return scalar((r) => BigInt(r.droppedAttributesCount), asUint32, (r, v) => (r.droppedAttributesCount = v));
  }
  return undefined;
}

function resourceField(field: string): Root | undefined {
  if (field === 'attributes') {
    return mapRoot(
      (ctx, create) => resourceOf(ctx, create)?.attributes,
      (ctx, kvs) => (resourceOf(ctx, true)!.attributes = kvs),
    );
  }
  if (field === 'dropped_attributes_count') {
    return {
      get: (ctx) => BigInt(resourceOf(ctx, false)?.droppedAttributesCount ?? 0),
      set: (ctx, v) => {
        const n = asUint32(v);
        if (n !== undefined) resourceOf(ctx, true)!.droppedAttributesCount = n;
      },
    };
  }
  return undefined;
}

function scopeField(field: string): Root | undefined {
  switch (field) {
    case 'attributes':
      return mapRoot(
        (ctx, create) => scopeOf(ctx, create)?.attributes,
        (ctx, kvs) => {
          const s = scopeOf(ctx, true);
          if (s) s.attributes = kvs;
        },
      );
    case 'name':
    case 'version':
      return {
        get: (ctx) => scopeOf(ctx, false)?.[field] ?? '',
        set: (ctx, v) => {
          const s = typeof v === 'string' ? scopeOf(ctx, true) : undefined;
          if (s) s[field] = v as string;
        },
      };
    case 'dropped_attributes_count':
      return {
        get: (ctx) => BigInt(scopeOf(ctx, false)?.droppedAttributesCount ?? 0),
        set: (ctx, v) => {
          const n = asUint32(v);
          const s = n !== undefined ? scopeOf(ctx, true) : undefined;
          if (s) s.droppedAttributesCount = n!;
        },
      };
  }
  return undefined;
}

const cacheRoot: Root = mapRoot(
  (ctx, create) => {
    if (!ctx.cache && create) ctx.cache = [];
    return ctx.cache;
  },
  (ctx, kvs) => (ctx.cache = kvs),
);

const ALLOWED: Record<ContextKind, ReadonlySet<string>> = {
  log: new Set(['log', 'scope', 'resource']),
  scope: new Set(['scope', 'resource']),
  resource: new Set(['resource']),
};

/** Resolves a path's segments to its root field for a context, or throws a parse error. */
export function resolveRoot(path: PathExpr, kind: ContextKind, source: string): Root {
  const segs = path.segments;
  const prefixed = pathOwner(segs);
  const owner = prefixed ?? kind;
  const rest = prefixed === undefined ? segs : segs.slice(1);
  const fail = (why: string) => new OttlParseError(why, path.column, source);
  if (!ALLOWED[kind].has(owner)) throw fail(`path "${segs.join('.')}" is not available in the ${kind} context`);
  let root: Root | undefined;
  if (rest.length === 1 && rest[0] === 'cache') root = cacheRoot;
  else if (owner === 'log') root = rest.length >= 1 && rest.length <= 2 ? logField(rest[0], rest[1]) : undefined;
  else if (owner === 'resource') root = rest.length === 1 ? resourceField(rest[0]) : undefined;
  else root = rest.length === 1 ? scopeField(rest[0]) : undefined;
  if (!root) throw fail(`unknown path "${segs.join('.')}"`);
  return root;
}

