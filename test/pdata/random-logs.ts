import type { AnyValue, KeyValue, Logs } from '../../src/pdata/model.js';
import { newLogRecord } from '../../src/pdata/model.js';

/** Seeded random Logs (every field, every AnyValue kind, non-ASCII text) for round-trip properties. */
export function randomLogs(seed: number): Logs {
  let x = seed >>> 0 || 1;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(rnd() * n);
  const pieces = ['a', 'é', '日本', '🚀', 'key', ' ', 'ünï', 'x'.repeat(300)];
  const str = () => Array.from({ length: int(6) }, () => pieces[int(pieces.length)]).join('');
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const big = () => BigInt.asIntN(64, (BigInt(int(2 ** 32)) << 32n) | BigInt(int(2 ** 32)));
  const value = (depth: number): AnyValue => {
    switch (int(depth > 2 ? 5 : 7)) {
      case 0: return { stringValue: str() };
      case 1: return { boolValue: rnd() < 0.5 };
      case 2: return { intValue: big() };
      case 3: return { doubleValue: (rnd() - 0.5) * 1e6 };
      case 4: return { bytesValue: bytes(int(20)) };
      case 5: return { arrayValue: { values: Array.from({ length: int(4) }, () => value(depth + 1)) } };
      default: return { kvlistValue: { values: attrs(depth + 1) } };
    }
  };
  const attrs = (depth = 0): KeyValue[] => Array.from({ length: int(5) }, () => ({ key: str(), value: value(depth) }));
  return {
    resourceLogs: Array.from({ length: 1 + int(3) }, () => ({
      resource: rnd() < 0.8 ? { attributes: attrs(), droppedAttributesCount: int(3) } : undefined,
      schemaUrl: rnd() < 0.5 ? str() : '',
      scopeLogs: Array.from({ length: int(3) }, () => ({
        scope: rnd() < 0.7 ? { name: str(), version: str(), attributes: attrs(), droppedAttributesCount: int(2) } : undefined,
        schemaUrl: '',
        logRecords: Array.from({ length: int(40) }, () =>
          newLogRecord({
            timeUnixNano: BigInt.asUintN(64, big()),
            observedTimeUnixNano: rnd() < 0.5 ? BigInt.asUintN(64, big()) : 0n,
            severityNumber: int(25),
            severityText: str(),
            body: rnd() < 0.9 ? value(0) : undefined,
            attributes: attrs(),
            droppedAttributesCount: int(4),
            flags: int(2 ** 32),
            traceId: rnd() < 0.5 ? bytes(16) : new Uint8Array(0),
            spanId: rnd() < 0.5 ? bytes(8) : new Uint8Array(0),
            eventName: rnd() < 0.3 ? str() : '',
          }),
        ),
      })),
    })),
  };
}

/** Drop keys whose value is undefined, so toEqual compares what a decoder can produce. */
export function withoutUndefined<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? { $big: x.toString() } : x instanceof Uint8Array ? { $bytes: Array.from(x) } : x)), (_k, x) =>
    x && typeof x === 'object' && '$big' in x ? BigInt(x.$big) : x && typeof x === 'object' && '$bytes' in x ? Uint8Array.from(x.$bytes) : x,
  );
}
