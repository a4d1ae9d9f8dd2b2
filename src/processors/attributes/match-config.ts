import { z } from 'zod';

/**
 * The Collector's include/exclude blocks (contrib internal/filter/filterconfig MatchProperties),
 * for logs and spans. Which keys apply depends on the pipeline's signal: `matchErrorsFor` says what
 * a block has that its signal cannot use (validate reports it, naming processor and signal).
 */
const keyValueMatch = z.strictObject({ key: z.string().min(1), value: z.unknown().optional() });

const SEVERITY_BASE: Record<string, number> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };

/** "INFO", "info3", "WARN" or a number 1..24, as the Collector's log_severity_number.min takes it. */
export function parseSeverity(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 1 && v <= 24 ? v : undefined;
  const m = /^([a-z]+)([2-4])?$/i.exec(v.trim());
  const base = m ? SEVERITY_BASE[m[1].toUpperCase()] : undefined;
  return base === undefined ? undefined : base + (m![2] ? Number(m![2]) - 1 : 0);
}

export const matchPropertiesSchema = z
  .strictObject({
    match_type: z.enum(['strict', 'regexp']),
    /** The Collector's regexp cache settings; accepted, and not needed here. */
    regexp: z.record(z.string(), z.unknown()).optional(),
    attributes: z.array(keyValueMatch).optional(),
    resources: z.array(keyValueMatch).optional(),
    libraries: z.array(z.strictObject({ name: z.string(), version: z.string().optional() })).optional(),
    log_bodies: z.array(z.string()).optional(),
    log_severity_texts: z.array(z.string()).optional(),
    log_severity_number: z
      .strictObject({ min: z.union([z.string(), z.number()]), match_undefined: z.boolean().default(false) })
      .optional(),
    services: z.array(z.string()).optional(),
    span_names: z.array(z.string()).optional(),
    span_kinds: z.array(z.string()).optional(),
    metric_names: z.array(z.string()).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.log_severity_number && parseSeverity(m.log_severity_number.min) === undefined) {
      ctx.addIssue({ code: 'custom', path: ['log_severity_number', 'min'], message: `expected a severity like "INFO" or 1..24, got ${JSON.stringify(m.log_severity_number.min)}` });
    }
    if (m.match_type === 'regexp') {
      const patterns = [...(m.log_bodies ?? []), ...(m.log_severity_texts ?? []), ...(m.services ?? []), ...(m.span_names ?? []), ...(m.span_kinds ?? []), ...(m.metric_names ?? []), ...(m.libraries ?? []).flatMap((l) => [l.name, l.version ?? ''])];
      for (const kv of [...(m.attributes ?? []), ...(m.resources ?? [])]) {
        if (kv.value !== undefined && typeof kv.value !== 'string') {
          ctx.addIssue({ code: 'custom', message: `attribute "${kv.key}": with match_type regexp the value must be a string pattern` });
        } else if (typeof kv.value === 'string') patterns.push(kv.value);
      }
      for (const p of patterns) {
        try {
          new RegExp(p.replace(/\(\?P</g, '(?<'));
        } catch {
          ctx.addIssue({ code: 'custom', message: `${JSON.stringify(p)} is not a valid regular expression` });
        }
      }
    }
  });

export type MatchProperties = z.output<typeof matchPropertiesSchema>;

const LOG_KEYS = ['log_bodies', 'log_severity_texts', 'log_severity_number'] as const;
const SPAN_KEYS = ['services', 'span_names', 'span_kinds'] as const;
const COMMON_KEYS = ['attributes', 'resources', 'libraries'] as const;

/** SpanKind names as the Collector's include/exclude `span_kinds` writes them, by wire value. */
export const SPAN_KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];

/** The keys each signal matches on; the rest are refused for it. */
const KEYS_BY_SIGNAL = {
  logs: [...COMMON_KEYS, ...LOG_KEYS],
  traces: [...COMMON_KEYS, ...SPAN_KEYS],
  metrics: ['metric_names', 'resources'],
} as const;
const ALL_KEYS = [...COMMON_KEYS, ...LOG_KEYS, ...SPAN_KEYS, 'metric_names'] as const;

/**
 * What an include/exclude block sets that a pipeline of `signal` cannot match on, as messages
 * (empty: usable). Logs take log and common keys, traces span and common keys, metrics
 * `metric_names` and `resources` (as the Collector's filtermetric).
 */
export function matchErrorsFor(m: MatchProperties, signal: 'logs' | 'traces' | 'metrics'): string[] {
  const errors: string[] = [];
  const own: readonly string[] = KEYS_BY_SIGNAL[signal];
  for (const key of ALL_KEYS) if (!own.includes(key) && m[key] !== undefined) errors.push(`${key} does not apply to ${signal}; not supported`);
  const set = (k: string) => {
    const v = m[k as keyof MatchProperties];
    return v !== undefined && !(Array.isArray(v) && v.length === 0);
  };
  if (!own.some(set)) errors.push(`set at least one of ${own.join(', ')}`);
  if (signal === 'traces' && m.match_type === 'strict') {
    for (const kind of m.span_kinds ?? []) if (!SPAN_KIND_NAMES.includes(kind)) errors.push(`span_kinds: ${JSON.stringify(kind)} is not one of ${SPAN_KIND_NAMES.join(', ')}`);
  }
  return errors;
}
