import { z } from 'zod';
import { errorModeSchema, type ErrorMode } from '../../ottl/error-mode.js';
import { collectConfigErrors, compileStatementGroup, OttlConfigError, statementContext, type CompiledGroup, type ContextKind, type Located } from '../../ottl/index.js';

/**
 * The Collector's transform processor config (processor/transformprocessor): `log_statements` as
 * a flat list of OTTL statements, or as groups `{context, error_mode, conditions, statements}`.
 * Other signals' statement lists are accepted (a Collector config runs unchanged) and unused.
 */

const groupSchema = z.strictObject({
  context: z.enum(['log', 'scope', 'resource']).optional(),
  error_mode: errorModeSchema.optional(),
  conditions: z.array(z.string()).default([]),
  statements: z.array(z.string()).min(1, 'list at least one statement'),
});

type Group = z.output<typeof groupSchema>;

/**
 * A statement string or a group. Checked by hand rather than with z.union so a mistake inside a
 * group (a misspelt `statments`) is reported at its key, not as a bare "Invalid input".
 */
const entrySchema = z
  .unknown()
  .superRefine((entry, ctx) => {
    if (typeof entry === 'string') return;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      ctx.addIssue({ code: 'custom', message: 'expected an OTTL statement (a string) or a group {context, error_mode, conditions, statements}' });
      return;
    }
    const result = groupSchema.safeParse(entry);
    if (!result.success) for (const issue of result.error.issues) ctx.addIssue({ ...issue, message: issue.message } as never);
  })
  .transform((entry) => (typeof entry === 'string' ? entry : groupSchema.parse(entry)) as string | Group);

const otherSignal = z.array(z.unknown()).optional();

/** The transform processor's documented default (its README): errors are logged, data goes on. */
const DEFAULT_ERROR_MODE: ErrorMode = 'ignore';

export const transformConfigSchema = z
  .strictObject({
    error_mode: errorModeSchema.default(DEFAULT_ERROR_MODE),
    log_statements: z.array(entrySchema).default([]),
    trace_statements: otherSignal,
    metric_statements: otherSignal,
    profile_statements: otherSignal,
    flatten_data: z.literal(false, { message: 'only false is supported (records are never regrouped)' }).optional(),
  })
  .superRefine((c, ctx) => {
    // zod still runs this refinement when an entry failed its own checks; those are reported already.
    if (!c.log_statements.every((e) => typeof e === 'string' || groupSchema.safeParse(e).success)) return;
    try {
      compileTransformGroups(c);
    } catch (err) {
      if (!(err instanceof OttlConfigError)) throw err;
      for (const e of err.all) ctx.addIssue({ code: 'custom', path: e.path, message: e.parseError.message });
    }
  });

export type TransformConfig = z.output<typeof transformConfigSchema>;

export interface RunnableGroup extends CompiledGroup {
  readonly errorMode: ErrorMode;
}

/**
 * Flat statements next to each other that infer the same context form one group, so they run
 * together per record (one pass, one shared `cache`). Advanced groups are compiled as written.
 * Throws OttlConfigError naming the statement.
 */
export function compileTransformGroups(c: Pick<TransformConfig, 'error_mode' | 'log_statements'>): RunnableGroup[] {
  // Each group is compiled in a step of its own, so one bad statement does not hide the next one's error.
  const steps: (() => RunnableGroup)[] = [];
  let run: Located[] = [];
  let runKind: ContextKind | undefined;
  const emit = () => {
    if (run.length > 0) {
      const [statements, context] = [run, runKind];
      steps.push(() => ({ ...compileStatementGroup({ statements, context }), errorMode: c.error_mode }));
    }
    run = [];
    runKind = undefined;
  };
  c.log_statements.forEach((entry, index) => {
    if (typeof entry === 'string') {
      const item = { source: entry, path: ['log_statements', index] };
      let kind: ContextKind;
      try {
        kind = statementContext(item);
      } catch (err) {
        emit(); // keeps the errors in the order of the statements
        steps.push(() => {
          throw err;
        });
        return;
      }
      if (runKind !== undefined && kind !== runKind) emit();
      runKind = kind;
      run.push(item);
      return;
    }
    emit();
    steps.push(() => ({
      ...compileStatementGroup({
        context: entry.context,
        statements: entry.statements.map((source, j) => ({ source, path: ['log_statements', index, 'statements', j] })),
        conditions: entry.conditions.map((source, j) => ({ source, path: ['log_statements', index, 'conditions', j] })),
      }),
      errorMode: entry.error_mode ?? c.error_mode,
    }));
  });
  emit();
  return collectConfigErrors(steps);
}
