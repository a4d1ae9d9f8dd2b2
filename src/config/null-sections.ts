import type { ZodType } from 'zod';
import { expandedText } from './expand.js';
import { knownKeysAt } from './issues.js';

/**
 * Two of the Collector's decoding rules, applied to a component's block before it meets its zod
 * schema (the schema says what each key is, as the Go struct does for confmap):
 * - A key written with no value (`rotation:`, `tls:`, `grpc:`) is that section with its defaults,
 *   not "missing" and not an error: every null whose key the schema knows as a map becomes `{}`.
 * - A scalar read as a number or boolean goes into a string field as its text: `token: 12345`, or
 *   `key: ${env:DD_API_KEY}` whose value is all digits, stays a string (with its leading zeros,
 *   the text the variable held).
 */
export function nullSectionsAsDefaults(schema: ZodType, value: unknown, path: (string | number)[] = []): unknown {
  if (Array.isArray(value)) return value.map((v, i) => nullSectionsAsDefaults(schema, asText(schema, value, i, v, [...path, i]), [...path, i]));
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const at = [...path, key];
    if (v === null && knownKeysAt(schema, at).length > 0) out[key] = {};
    else out[key] = nullSectionsAsDefaults(schema, asText(schema, value, key, v, at), at);
  }
  return out;
}

function asText(schema: ZodType, holder: object, key: string | number, v: unknown, at: (string | number)[]): unknown {
  if ((typeof v !== 'number' && typeof v !== 'boolean') || !isStringAt(schema, at)) return v;
  return expandedText.get(holder)?.get(key) ?? String(v);
}

/** true when the schema at `path` takes only strings (through optional, default and similar wrappers). */
function isStringAt(schema: ZodType, path: (string | number)[]): boolean {
  const unwrap = (s: any) => {
    for (let i = 0; i < 10 && s?._zod?.def; i++) {
      const def = s._zod.def;
      if (def.innerType) s = def.innerType;
      else if (def.type === 'pipe') s = def.in;
      else break;
    }
    return s;
  };
  let s: any = unwrap(schema);
  for (const p of path) {
    const def = s?._zod?.def;
    if (def?.type === 'object' && typeof p === 'string') s = def.shape[p];
    else if (def?.type === 'array') s = def.element;
    else if (def?.type === 'record') s = def.valueType;
    else return false;
    s = unwrap(s);
  }
  return s?._zod?.def?.type === 'string';
}
