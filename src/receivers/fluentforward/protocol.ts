import { gunzipSync } from 'node:zlib';
import { decodeMulti, ExtensionCodec, type DecoderOptions } from '@msgpack/msgpack';

/**
 * The Fluentd Forward protocol v1 (github.com/fluent/fluentd/wiki/Forward-Protocol-Specification-v1),
 * server side. Each msgpack value on the connection is one message in one of four modes:
 *
 *   Message                  [tag, time, record, option?]
 *   Forward                  [tag, [[time, record], ...], option?]
 *   PackedForward            [tag, bin|str (a msgpack stream of [time, record]), option?]
 *   CompressedPackedForward  the same with option.compressed = "gzip" (concatenated gzip members)
 *
 * `time` is integer seconds or the EventTime extension (type 0: uint32 seconds, uint32
 * nanoseconds, big-endian). An entry's time may also be `[time, metadata]`: Fluent Bit's own event
 * format since 2.1, which its `forward` output (5.1.1 checked by hand) sends as is in Forward mode
 * even though the spec has a bare time there; refusing it would refuse every Fluent Bit.
 * `option.chunk` asks for `{ack: chunk}` once the message is stored.
 * A message is checked whole before anything of it goes downstream: a malformed one is refused as
 * a unit (ProtocolError) and the connection closed, never half-ingested.
 *
 * Strings are decoded raw (`rawStrings`) because PackedForward entries may come as `str` holding
 * msgpack bytes (older Fluentd), which UTF-8 decoding would destroy; record values are turned into
 * text (or bytes when not UTF-8) by the mapping.
 */

export const EVENT_TIME_EXT_TYPE = 0;
/** Largest str/bin/ext accepted: above Fluentd's default 8 MB chunk limit and Fluent Bit's 2 MB chunks. */
export const MAX_FIELD_BYTES = 32 * 1024 * 1024;
/** Largest CompressedPackedForward payload once decompressed (a zip bomb stops here). */
export const MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024;
export const MAX_ENTRIES = 1_000_000;

export class ProtocolError extends Error {}

export class EventTime {
  constructor(
    readonly seconds: number,
    readonly nanoseconds: number,
  ) {}
}

const extensionCodec = new ExtensionCodec();
extensionCodec.register({
  type: EVENT_TIME_EXT_TYPE,
  encode: (v) => {
    if (!(v instanceof EventTime)) return null;
    const b = Buffer.alloc(8);
    b.writeUInt32BE(v.seconds, 0);
    b.writeUInt32BE(v.nanoseconds, 4);
    return b;
  },
  decode: (data) => {
    if (data.length !== 8) throw new ProtocolError(`EventTime must be 8 bytes, got ${data.length}`);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return new EventTime(view.getUint32(0), view.getUint32(4));
  },
});

export const decoderOptions: DecoderOptions = {
  extensionCodec,
  rawStrings: true,
  useBigInt64: false,
  maxStrLength: MAX_FIELD_BYTES,
  maxBinLength: MAX_FIELD_BYTES,
  maxExtLength: MAX_FIELD_BYTES,
  maxArrayLength: MAX_ENTRIES,
  maxMapLength: MAX_ENTRIES,
};

export const encoderCodec = extensionCodec;

export interface ForwardEvent {
  timeUnixNano: bigint;
  record: Map<string, unknown> | Record<string, unknown>;
  /** Fluent Bit's per-event metadata (`[[time, metadata], record]`), when it sent any. */
  metadata?: Record<string, unknown>;
}

export interface ForwardMessage {
  tag: string;
  events: ForwardEvent[];
  /** The `chunk` option: the client waits for `{ack: chunk}`. */
  chunk?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function text(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) {
    try {
      return utf8.decode(v);
    } catch {
      throw new ProtocolError(`${what} is not valid UTF-8`);
    }
  }
  throw new ProtocolError(`${what} must be a string, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof EventTime);
}

function timeOf(v: unknown): bigint {
  if (v instanceof EventTime) return BigInt(v.seconds) * 1_000_000_000n + BigInt(v.nanoseconds);
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Number.isInteger(v) ? BigInt(v) * 1_000_000_000n : BigInt(Math.round(v * 1e9));
  throw new ProtocolError(`time must be an integer or EventTime, got ${describe(v)}`);
}

function event(time: unknown, record: unknown): ForwardEvent {
  if (!isRecord(record)) throw new ProtocolError(`record must be a map, got ${describe(record)}`);
  return { timeUnixNano: timeOf(time), record };
}

function entryEvent(entry: unknown, i: number): ForwardEvent {
  if (!Array.isArray(entry) || entry.length !== 2) throw new ProtocolError(`entry ${i} must be [time, record]`);
  const head: unknown = entry[0];
  if (!Array.isArray(head)) return event(head, entry[1]);
  if (head.length !== 2 || !isRecord(head[1])) throw new ProtocolError(`entry ${i}: a time given as an array must be [time, metadata map]`);
  const e = event(head[0], entry[1]);
  if (Object.keys(head[1]).length > 0) e.metadata = head[1];
  return e;
}

/** One decoded msgpack value from the connection as a Forward message; throws ProtocolError. */
export function parseMessage(value: unknown): ForwardMessage {
  if (!Array.isArray(value) || value.length < 2 || value.length > 4) throw new ProtocolError('a message must be an array [tag, ...] of 2 to 4 elements');
  const tag = text(value[0], 'tag');
  const second = value[1];
  let option: unknown;
  let events: ForwardEvent[];
  if (Array.isArray(second)) {
    if (value.length > 3) throw new ProtocolError('Forward mode is [tag, entries, option?]');
    events = second.map(entryEvent);
    option = value[2];
  } else if (second instanceof Uint8Array) {
    if (value.length > 3) throw new ProtocolError('PackedForward mode is [tag, entries, option?]');
    option = value[2];
    const compressed = isRecord(option) ? option.compressed : undefined;
    let packed: Uint8Array = second;
    if (compressed !== undefined && compressed !== null) {
      const kind = text(compressed, 'option compressed');
      if (kind === 'gzip') {
        try {
          packed = gunzipSync(second, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
        } catch (err) {
          throw new ProtocolError(`CompressedPackedForward entries do not gunzip: ${(err as Error).message}`);
        }
      } else if (kind !== 'text') throw new ProtocolError(`option compressed must be "gzip" or "text", got ${JSON.stringify(kind)}`);
    }
    events = [];
    try {
      for (const entry of decodeMulti(packed, decoderOptions)) {
        events.push(entryEvent(entry, events.length));
        if (events.length > MAX_ENTRIES) throw new ProtocolError(`more than ${MAX_ENTRIES} entries in one message`);
      }
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError(`PackedForward entries are not a msgpack stream: ${(err as Error).message}`);
    }
  } else {
    events = [event(second, value[2])];
    option = value[3];
  }
  if (option !== undefined && option !== null && !isRecord(option)) throw new ProtocolError(`option must be a map, got ${describe(option)}`);
  const chunk = isRecord(option) && option.chunk !== undefined && option.chunk !== null ? text(option.chunk, 'option chunk') : undefined;
  return { tag, events, chunk };
}
