import type { ZodType } from 'zod';
import { knownKeysAt } from './issues.js';

/**
 * The Collector reads a key written with no value (`rotation:`, `tls:`, `grpc:`) as that section
 * with its defaults, not as "missing" and not as an error: confmap decodes a null map into the
 * struct's defaults. Before a component's block meets its zod schema, every null whose key the
 * schema knows as a map becomes `{}`, so the schema fills in the defaults exactly as for an empty map.
 */
export function nullSectionsAsDefaults(schema: ZodType, value: unknown, path: (string | number)[] = []): unknown {
  if (Array.isArray(value)) return value.map((v, i) => nullSectionsAsDefaults(schema, v, [...path, i]));
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const at = [...path, key];
    if (v === null && knownKeysAt(schema, at).length > 0) out[key] = {};
    else out[key] = nullSectionsAsDefaults(schema, v, at);
  }
  return out;
}
