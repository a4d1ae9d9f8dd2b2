import { z } from 'zod';
import { errorModeSchema, type ErrorMode } from '../../ottl/error-mode.js';
import { collectConfigErrors, compileConditions, OttlConfigError, type ContextKind, type Predicate } from '../../ottl/index.js';
import { legacyDropConditions, legacyMatchSchema, severityNumberOf } from './legacy-match.js';

/**
 * The Collector's filter processor with OTTL conditions (processor/filterprocessor):
 * `logs.log_record: [conditions]` in the log context, and the newer `log_conditions` whose
 * context is inferred per condition (a resource-only condition drops the whole resource).
 * The legacy `include`/`exclude` match_type form is translated into OTTL (legacy-match.ts).
 * Other signals' sections are accepted (a Collector config runs unchanged) and unused.
 */

/** The filter processor's documented default: an evaluation error fails the batch. */
const DEFAULT_ERROR_MODE: ErrorMode = 'propagate';

export const filterConfigSchema = z
  .strictObject({
    error_mode: errorModeSchema.default(DEFAULT_ERROR_MODE),
    logs: z
      .strictObject({
        log_record: z.array(z.string()).default([]),
        include: legacyMatchSchema.optional(),
        exclude: legacyMatchSchema.optional(),
      })
      .optional(),
    log_conditions: z.array(z.string()).optional(),
    traces: z.unknown().optional(),
    metrics: z.unknown().optional(),
    spans: z.unknown().optional(),
    trace_conditions: z.unknown().optional(),
    metric_conditions: z.unknown().optional(),
  })
  .superRefine((c, ctx) => {
    for (const legacy of ['include', 'exclude'] as const) {
      const min = c.logs?.[legacy]?.severity_number?.min;
      if (min !== undefined && severityNumberOf(min) === undefined) {
        ctx.addIssue({ code: 'custom', path: ['logs', legacy, 'severity_number', 'min'], message: `expected a severity like "INFO" or "WARN2" or a number 1-24, got ${JSON.stringify(min)}` });
        return;
      }
    }
    // zod still runs this refinement when a list item had the wrong type; that is reported already.
    const lists = [c.logs?.log_record ?? [], c.log_conditions ?? []];
    if (!lists.every((l) => Array.isArray(l) && l.every((x) => typeof x === 'string'))) return;
    try {
      compileFilterConditions(c);
    } catch (err) {
      if (!(err instanceof OttlConfigError)) throw err;
      for (const e of err.all) ctx.addIssue({ code: 'custom', path: e.path, message: e.parseError.message });
    }
  });

export type FilterConfig = z.output<typeof filterConfigSchema>;

export interface FilterCondition {
  readonly kind: ContextKind;
  readonly predicate: Predicate;
  readonly source: string;
}

export function compileFilterConditions(c: Pick<FilterConfig, 'logs' | 'log_conditions'>): FilterCondition[] {
  const fromMatch = legacyDropConditions(c.logs ?? {}).map((source) => ({ source, path: ['logs', source.startsWith('not (') ? 'include' : 'exclude'] }));
  const legacy = [...(c.logs?.log_record ?? []).map((source, i) => ({ source, path: ['logs', 'log_record', i] as (string | number)[] })), ...fromMatch];
  const inferred = (c.log_conditions ?? []).map((source, i) => ({ source, path: ['log_conditions', i] }));
  return collectConfigErrors([() => compileConditions(legacy, 'log'), () => compileConditions(inferred)]).flat();
}
