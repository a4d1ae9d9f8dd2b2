import { compileConditions, OttlConfigError, type Predicate } from '../ottl/index.js';

/** A `where` condition that does not parse or compile: the API answers 400 with the column. */
export class TailWhereError extends Error {
  constructor(
    message: string,
    /** 1-based column in the condition text, when the parser knows it. */
    readonly column: number | undefined,
  ) {
    super(message);
    this.name = 'TailWhereError';
  }
}

/**
 * Compiles the tail's `where` (an OTTL condition in the log context, as the filter processor's
 * `log_record` conditions: `severity_number >= SEVERITY_NUMBER_WARN`, `attributes["x"] == "y"`,
 * `resource.attributes["service.name"] == "make"`).
 */
export function compileWhere(source: string): Predicate {
  try {
    return compileConditions([{ source, path: ['where'] }], 'log')[0]!.predicate;
  } catch (err) {
    if (err instanceof OttlConfigError) {
      const p = err.parseError;
      throw new TailWhereError(`where: ${p.reason} at column ${p.column}`, p.column);
    }
    throw new TailWhereError(`where: ${(err as Error).message}`, undefined);
  }
}
