import type { KeyValue } from './model.js';
import { decodeAnyValue } from './proto-decode.js';
import { invalid, type ProtoReader } from './proto-wire.js';

/**
 * What matchers read around the attributes signal-attributes.ts rewrites, read off the wire before
 * the walk reaches the spans or data points (a sender may write a message's fields in any order):
 * a resource's attributes, a scope's name and version, a metric's name. Like proto-decode.ts, the
 * last occurrence of a field wins.
 */

const LEN1 = 10, LEN2 = 18, LEN3 = 26;

/** KeyValue as proto-decode.ts reads it (the last key and value fields win). */
export function decodeKeyValue(r: ProtoReader, end: number): KeyValue {
  const kv: KeyValue = { key: '' };
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) kv.key = r.string();
    else if (t === LEN2) kv.value = decodeAnyValue(r, r.lengthEnd(), 0);
    else r.skip(t);
  }
  r.expectEnd(end);
  return kv;
}

/** The attributes of the entry's resource (the last `resource` field, as a decoder keeps). */
export function lastResourceAttributes(r: ProtoReader, end: number): KeyValue[] {
  let attrs: KeyValue[] = [];
  while (r.pos < end) {
    const t = r.tag();
    if (t !== LEN1) {
      r.skip(t);
      continue;
    }
    const resEnd = r.lengthEnd();
    attrs = [];
    while (r.pos < resEnd) {
      const rt = r.tag();
      if (rt === LEN1) attrs.push(decodeKeyValue(r, r.lengthEnd()));
      else r.skip(rt);
    }
    if (r.pos !== resEnd) invalid('field overruns its enclosing message');
  }
  return attrs;
}

/** A Metric's name (field 1, the last one as a decoder keeps). */
export function lastName(r: ProtoReader, end: number): string {
  let name = '';
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) name = r.string();
    else r.skip(t);
  }
  return name;
}

/** The entry's instrumentation scope name and version. */
export function lastScope(r: ProtoReader, end: number): { name: string; version: string } {
  const scope = { name: '', version: '' };
  while (r.pos < end) {
    const t = r.tag();
    if (t !== LEN1) {
      r.skip(t);
      continue;
    }
    const scopeEnd = r.lengthEnd();
    while (r.pos < scopeEnd) {
      const st = r.tag();
      if (st === LEN1) scope.name = r.string();
      else if (st === LEN2) scope.version = r.string();
      else if (st === LEN3) r.pos = r.lengthEnd();
      else r.skip(st);
    }
    if (r.pos !== scopeEnd) invalid('field overruns its enclosing message');
  }
  return scope;
}
