import { z } from 'zod';
import { errorModeSchema, type ErrorMode } from '../../ottl/error-mode.js';
import { compileConditions, OttlConfigError, type ContextKind, type Predicate } from '../../ottl/index.js';

/**
 * The Collector's filter processor with OTTL conditions (processor/filterprocessor):
 * `logs.log_record: [conditions]` in the log context, and the newer `log_conditions` whose
 * context is inferred per condition (a resource-only condition drops the whole resource).
 * The legacy `include`/`exclude` match_type form is not supported. Other signals' sections are
 * accepted (a Collector config runs unchanged) and unused.
 */

/** The filter processor's documented default: an evaluation error fails the batch. */
const DEFAULT_ERROR_MODE: ErrorMode = 'propagate';

export const filterConfigSchema = z
  .strictObject({
    error_mode: errorModeSchema.default(DEFAULT_ERROR_MODE),
    logs: z
      .strictObject({
        log_record: z.array(z.string()).default([]),
        // Named only to refuse them with a hint rather than a bare "unknown key".
        include: z.unknown().optional(),
        exclude: z.unknown().optional(),
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
      if (c.logs?.[legacy] !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['logs', legacy], message: 'the legacy include/exclude (match_type) form is not supported; write OTTL conditions under logs.log_record' });
      }
    }
    // zod still runs this refinement when a list item had the wrong type; that is reported already.
    const lists = [c.logs?.log_record ?? [], c.log_conditions ?? []];
    if (!lists.every((l) => Array.isArray(l) && l.every((x) => typeof x === 'string'))) return;
    try {
      compileFilterConditions(c);
    } catch (err) {
      if (!(err instanceof OttlConfigError)) throw err;
      ctx.addIssue({ code: 'custom', path: err.path, message: err.parseError.message });
    }
  });

export type FilterConfig = z.output<typeof filterConfigSchema>;

export interface FilterCondition {
  readonly kind: ContextKind;
  readonly predicate: Predicate;
  readonly source: string;
}

export function compileFilterConditions(c: Pick<FilterConfig, 'logs' | 'log_conditions'>): FilterCondition[] {
  const legacy = (c.logs?.log_record ?? []).map((source, i) => ({ source, path: ['logs', 'log_record', i] }));
  const inferred = (c.log_conditions ?? []).map((source, i) => ({ source, path: ['log_conditions', i] }));
  return [...compileConditions(legacy, 'log'), ...compileConditions(inferred)];
}
