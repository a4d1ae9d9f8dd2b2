import { z } from 'zod';

/**
 * The filter processor's legacy form for logs (`logs.include` / `logs.exclude` with `match_type`),
 * still common in Collector configs, translated into the OTTL conditions the processor runs, so
 * both forms share one engine. A condition is true for records to drop:
 *   exclude: drop what matches;  include: drop what does not match.
 * Matching follows the Collector's LogMatchProperties: every property given must match (and);
 * within `bodies` / `severity_texts` one entry is enough (or); every listed attribute must match;
 * `severity_number.min` keeps records at or above it, and unset severities only with
 * `match_undefined: true`.
 */

const attributeSchema = z.strictObject({ key: z.string().min(1), value: z.union([z.string(), z.number(), z.boolean()]).optional() });

export const legacyMatchSchema = z.strictObject({
  match_type: z.enum(['strict', 'regexp']),
  resource_attributes: z.array(attributeSchema).optional(),
  record_attributes: z.array(attributeSchema).optional(),
  severity_texts: z.array(z.string()).optional(),
  bodies: z.array(z.string()).optional(),
  severity_number: z
    .strictObject({ min: z.union([z.string(), z.number().int().min(0).max(24)]), match_undefined: z.boolean().default(false) })
    .optional(),
  // Accepted so a config that sets it to the default runs; anything else is refused below.
  regexp: z.strictObject({ cacheenabled: z.boolean().optional(), cachemaxnumentries: z.number().optional() }).optional(),
});

export type LegacyMatch = z.output<typeof legacyMatchSchema>;

/** The OTel severity names the Collector accepts for `severity_number.min`. */
const SEVERITY: Record<string, number> = {
  TRACE: 1, TRACE2: 2, TRACE3: 3, TRACE4: 4, DEBUG: 5, DEBUG2: 6, DEBUG3: 7, DEBUG4: 8,
  INFO: 9, INFO2: 10, INFO3: 11, INFO4: 12, WARN: 13, WARN2: 14, WARN3: 15, WARN4: 16,
  ERROR: 17, ERROR2: 18, ERROR3: 19, ERROR4: 20, FATAL: 21, FATAL2: 22, FATAL3: 23, FATAL4: 24,
};

export function severityNumberOf(min: string | number): number | undefined {
  return typeof min === 'number' ? min : SEVERITY[min.toUpperCase()];
}

/** An OTTL string literal. */
const lit = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function valueMatch(path: string, value: string | number | boolean | undefined, regexp: boolean): string {
  if (value === undefined) return `${path} != nil`;
  if (regexp) return `IsMatch(${path}, ${lit(String(value))})`;
  return `${path} == ${typeof value === 'string' ? lit(value) : String(value)}`;
}

const anyOf = (parts: string[]) => (parts.length === 1 ? parts[0]! : `(${parts.join(' or ')})`);

/** The OTTL condition that is true for a record matching `m`. */
export function matchCondition(m: LegacyMatch): string {
  const regexp = m.match_type === 'regexp';
  const parts: string[] = [];
  for (const a of m.resource_attributes ?? []) parts.push(valueMatch(`resource.attributes[${lit(a.key)}]`, a.value, regexp));
  for (const a of m.record_attributes ?? []) parts.push(valueMatch(`attributes[${lit(a.key)}]`, a.value, regexp));
  if (m.severity_texts?.length) parts.push(anyOf(m.severity_texts.map((t) => valueMatch('severity_text', t, regexp))));
  if (m.bodies?.length) parts.push(anyOf(m.bodies.map((b) => valueMatch('body', b, regexp))));
  if (m.severity_number) {
    const min = severityNumberOf(m.severity_number.min)!;
    const atLeast = `severity_number >= ${min}`;
    parts.push(m.severity_number.match_undefined ? `(${atLeast} or severity_number == 0)` : `(${atLeast} and severity_number != 0)`);
  }
  return parts.length === 0 ? 'true' : parts.join(' and ');
}

/** Drop conditions (log context) for `logs.include` / `logs.exclude`. */
export function legacyDropConditions(logs: { include?: LegacyMatch; exclude?: LegacyMatch }): string[] {
  const out: string[] = [];
  if (logs.include) out.push(`not (${matchCondition(logs.include)})`);
  if (logs.exclude) out.push(matchCondition(logs.exclude));
  return out;
}
