import { z } from 'zod';

/**
 * The Collector's include/exclude blocks (contrib internal/filter/filterconfig MatchProperties),
 * the keys that apply to logs. Span and metric keys are refused with a message that says so.
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

const NOT_FOR_LOGS = ['services', 'span_names', 'span_kinds', 'metric_names'] as const;

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
    for (const key of NOT_FOR_LOGS) {
      if (m[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} does not apply to logs; not supported` });
    }
    const props = [m.attributes, m.resources, m.libraries, m.log_bodies, m.log_severity_texts, m.log_severity_number];
    if (props.every((p) => p === undefined || (Array.isArray(p) && p.length === 0))) {
      ctx.addIssue({ code: 'custom', message: 'set at least one of attributes, resources, libraries, log_bodies, log_severity_texts, log_severity_number' });
    }
    if (m.log_severity_number && parseSeverity(m.log_severity_number.min) === undefined) {
      ctx.addIssue({ code: 'custom', path: ['log_severity_number', 'min'], message: `expected a severity like "INFO" or 1..24, got ${JSON.stringify(m.log_severity_number.min)}` });
    }
    if (m.match_type === 'regexp') {
      const patterns = [...(m.log_bodies ?? []), ...(m.log_severity_texts ?? []), ...(m.libraries ?? []).flatMap((l) => [l.name, l.version ?? ''])];
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
