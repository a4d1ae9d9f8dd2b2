import type { AnyValue, KeyValue } from './model.js';
import { KeyValueWriter } from './keyvalue-writer.js';
import { ProtoReader, varint32Size } from './proto-wire.js';
import { decodeKeyValue, lastName, lastResourceAttributes, lastScope } from './signal-facts.js';
import type { BytesSignal } from './signal.js';

/**
 * Attribute lists of a traces or metrics request changed in its protobuf bytes (docs/architecture.md
 * §10: decode only what a component reads). The request stays the bytes it arrived in; only the
 * messages whose attributes an editor changed are rewritten: their attribute fields are decoded,
 * edited as a KeyValue list (the logs processors' own code runs on it) and encoded again, and the
 * length prefixes of the messages that enclose them are rewritten. Every other byte is copied as
 * received, and a message whose attributes come out as they went in is not touched at all.
 *
 * Where the attributes are: Resource.attributes (1) in ResourceSpans / ResourceMetrics field 1;
 * Span.attributes (9); NumberDataPoint (7), HistogramDataPoint (9),
 * ExponentialHistogramDataPoint (1) and SummaryDataPoint (7) attributes in the gauge (5), sum (7),
 * histogram (9), exponential_histogram (10) and summary (11) of a Metric.
 */

/** What a span matcher may read of a span besides its attributes. */
export interface SpanFacts {
  readonly name: string;
  /** SpanKind as on the wire (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
  readonly kind: number;
  readonly resource: readonly KeyValue[];
  readonly scope: { readonly name: string; readonly version: string };
}

/** What a metric matcher may read of a data point besides its attributes. */
export interface PointFacts {
  /** The name of the metric the point belongs to. */
  readonly metric: string;
  readonly resource: readonly KeyValue[];
}

export interface AttributeEditor {
  // Editors change the list in place and replace (never mutate) a KeyValue or value they change,
  // as apply-actions.ts does: an untouched object is copied as received.
  /** Changes a resource's attributes in place (a ResourceSpans/ResourceMetrics without one gets one). */
  resource?(attrs: KeyValue[]): void;
  /** Changes a span's attributes in place. */
  span?(attrs: KeyValue[], facts: SpanFacts): void;
  /** Changes a data point's attributes in place. */
  dataPoint?(attrs: KeyValue[], facts: PointFacts): void;
}

const LEN1 = 10, LEN2 = 18;
const TAG_SPAN_NAME = 42, TAG_SPAN_KIND = 48, TAG_SPAN_ATTRS = 74;
/** Metric field (gauge, sum, ...) → the attributes tag of its data points. */
const POINT_ATTR_TAG = new Map<number, number>([
  [(5 << 3) | 2, (7 << 3) | 2],
  [(7 << 3) | 2, (7 << 3) | 2],
  [(9 << 3) | 2, (9 << 3) | 2],
  [(10 << 3) | 2, (1 << 3) | 2],
  [(11 << 3) | 2, (7 << 3) | 2],
]);

/** A rewritten payload: its pieces in order and their total length. */
interface Out {
  parts: Uint8Array[];
  length: number;
}

/** The request with the editor's changes; the same bytes object when nothing changed. Throws PermanentError on malformed input. */
export function editSignalAttributes(signal: BytesSignal, bytes: Uint8Array, editor: AttributeEditor): Uint8Array {
  WRITER.reset();
  const w = new Walk(bytes, editor, signal);
  const r = new ProtoReader(bytes);
  const out = w.container(r, 0, r.length, (t) => (t === LEN1 ? w.resourceEntry : undefined));
  if (!out) return bytes;
  const result = new Uint8Array(out.length);
  let at = 0;
  for (const p of out.parts) {
    result.set(p, at);
    at += p.length;
  }
  return result;
}

/** New KeyValues of one request at a time; its views are copied into the result before the next request. */
const WRITER = new KeyValueWriter();

type Child = (r: ProtoReader, end: number) => Out | undefined;

class Walk {
  /** Resource attributes, scope and metric name of what is being walked, for matchers. */
  private resourceAttrs: KeyValue[] = [];
  private scope = { name: '', version: '' };
  private attrTag = 0;
  private metricName = '';
  private readonly writer = WRITER;

  constructor(
    private readonly buf: Uint8Array,
    private readonly editor: AttributeEditor,
    private readonly signal: BytesSignal,
  ) {}

  /**
   * A message's payload [start, end) with the fields `childOf` names rewritten by their child;
   * undefined when no child changed anything.
   */
  container(r: ProtoReader, start: number, end: number, childOf: (tag: number) => Child | undefined): Out | undefined {
    let out: Out | undefined;
    let copied = start;
    while (r.pos < end) {
      const fieldAt = r.pos;
      const t = r.tag();
      const child = childOf(t);
      if (!child || (t & 7) !== 2) {
        r.skip(t);
        continue;
      }
      const childEnd = r.lengthEnd();
      const changed = child.call(this, r, childEnd);
      r.pos = childEnd;
      if (!changed) continue;
      out ??= { parts: [], length: 0 };
      push(out, this.buf.subarray(copied, fieldAt));
      pushField(out, t, changed);
      copied = childEnd;
    }
    r.expectEnd(end);
    if (out) push(out, this.buf.subarray(copied, end));
    return out;
  }

  /** ResourceSpans / ResourceMetrics. */
  resourceEntry(r: ProtoReader, end: number): Out | undefined {
    const start = r.pos;
    const editor = this.editor;
    if (editor.resource) {
      let seen = false;
      const out = this.container(r, start, end, (t) => (t === LEN1 ? ((seen = true), this.resourceMessage) : undefined));
      if (seen) return out;
      // No resource at all: one is created when the actions give it attributes (as for logs).
      const attrs: KeyValue[] = [];
      editor.resource(attrs);
      if (attrs.length === 0) return out;
      const created: Out = { parts: [], length: 0 };
      for (const f of this.writer.fields(attrs, LEN1)) push(created, f);
      const entry = out ?? { parts: [this.buf.subarray(start, end)], length: end - start };
      const result: Out = { parts: [], length: 0 };
      pushField(result, LEN1, created);
      for (const p of entry.parts) push(result, p);
      return result;
    }
    if ((this.signal === 'traces' && editor.span) || (this.signal === 'metrics' && editor.dataPoint)) {
      this.resourceAttrs = lastResourceAttributes(r, end);
      r.pos = start;
    }
    return this.container(r, start, end, (t) => (t === LEN2 ? this.scopeEntry : undefined));
  }

  private resourceMessage(r: ProtoReader, end: number): Out | undefined {
    this.attrTag = LEN1;
    return this.attributed(r, end, (attrs) => this.editor.resource!(attrs));
  }

  /** ScopeSpans / ScopeMetrics. */
  private scopeEntry(r: ProtoReader, end: number): Out | undefined {
    const start = r.pos;
    if (this.signal === 'traces') {
      if (!this.editor.span) return undefined;
      this.scope = lastScope(r, end);
      r.pos = start;
      return this.container(r, start, end, (t) => (t === LEN2 ? this.span : undefined));
    }
    if (!this.editor.dataPoint) return undefined;
    return this.container(r, start, end, (t) => (t === LEN2 ? this.metric : undefined));
  }

  private span(r: ProtoReader, end: number): Out | undefined {
    this.attrTag = TAG_SPAN_ATTRS;
    let name = '';
    let kind = 0;
    return this.attributed(r, end, (attrs) => this.editor.span!(attrs, { name, kind, resource: this.resourceAttrs, scope: this.scope }), (t) => {
      if (t === TAG_SPAN_NAME) name = r.string();
      else if (t === TAG_SPAN_KIND) kind = r.int32();
      else return false;
      return true;
    });
  }

  private metric(r: ProtoReader, end: number): Out | undefined {
    const start = r.pos;
    this.metricName = lastName(r, end);
    r.pos = start;
    return this.container(r, start, end, (t) => {
      const attrTag = POINT_ATTR_TAG.get(t);
      if (attrTag === undefined) return undefined;
      return (r2: ProtoReader, dataEnd: number) => this.container(r2, r2.pos, dataEnd, (pt) => (pt === LEN1 ? this.pointWith(attrTag) : undefined));
    });
  }

  private pointWith(attrTag: number): Child {
    return (r, end) => {
      this.attrTag = attrTag;
      return this.attributed(r, end, (attrs) => this.editor.dataPoint!(attrs, { metric: this.metricName, resource: this.resourceAttrs }));
    };
  }

  /**
   * A message holding attributes under `this.attrTag`: they are decoded, edited and, when the
   * encoding changed, written where the first one was (at the end when there was none), the
   * message's other fields kept in place. `read` may consume a field it wants (returns true).
   */
  private attributed(r: ProtoReader, end: number, edit: (attrs: KeyValue[]) => void, read?: (tag: number) => boolean): Out | undefined {
    const tag = this.attrTag;
    const start = r.pos;
    const attrs: KeyValue[] = [];
    const ranges: number[] = [];
    while (r.pos < end) {
      const fieldAt = r.pos;
      const t = r.tag();
      if (t === tag) {
        const kvEnd = r.lengthEnd();
        attrs.push(decodeKeyValue(r, kvEnd));
        ranges.push(fieldAt, kvEnd);
      } else if (!read?.(t)) r.skip(t);
    }
    r.expectEnd(end);
    // The actions replace a KeyValue or its value when they change one (apply-actions.ts): the
    // same objects afterwards mean the same attributes, and the message is not re-encoded.
    const before = attrs.slice();
    const values = attrs.map((kv) => kv.value);
    edit(attrs);
    if (attrs.length === before.length && attrs.every((kv, i) => kv === before[i] && kv.value === values[i])) return undefined;
    const encoded = this.encodeEdited(attrs, before, values, ranges, tag);
    const out: Out = { parts: [], length: 0 };
    let copied = start;
    const insertAt = ranges.length > 0 ? ranges[0]! : end;
    for (let i = 0; i < ranges.length; i += 2) {
      push(out, this.buf.subarray(copied, ranges[i]!));
      if (i === 0) for (const p of encoded) push(out, p);
      copied = ranges[i + 1]!;
    }
    push(out, this.buf.subarray(copied, end));
    if (insertAt === end) for (const p of encoded) push(out, p);
    return out;
  }

  /**
   * The edited list's fields in order: a KeyValue the actions left alone is copied as received,
   * the new and changed ones are encoded (together, in one call).
   */
  private encodeEdited(attrs: KeyValue[], before: KeyValue[], values: (AnyValue | undefined)[], ranges: number[], tag: number): Uint8Array[] {
    const origin = new Map<KeyValue, number>();
    before.forEach((kv, i) => origin.set(kv, i));
    const fresh: KeyValue[] = [];
    const slots: (Uint8Array | number)[] = [];
    for (const kv of attrs) {
      const i = origin.get(kv);
      if (i !== undefined && kv.value === values[i]) slots.push(this.buf.subarray(ranges[2 * i]!, ranges[2 * i + 1]!));
      else slots.push(fresh.push(kv) - 1);
    }
    const encoded = this.writer.fields(fresh, tag);
    return slots.map((s) => (typeof s === 'number' ? encoded[s]! : s));
  }
}

function push(out: Out, part: Uint8Array): void {
  if (part.length === 0) return;
  out.parts.push(part);
  out.length += part.length;
}

/** A length-delimited field with tag `tag` around a rewritten payload. */
function pushField(out: Out, tag: number, payload: Out): void {
  push(out, varint(tag));
  push(out, varint(payload.length));
  for (const p of payload.parts) push(out, p);
}

function varint(v: number): Uint8Array {
  const b = new Uint8Array(varint32Size(v));
  let i = 0;
  while (v > 0x7f) {
    b[i++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  b[i] = v;
  return b;
}
