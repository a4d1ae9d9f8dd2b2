import { ConfigError } from '../errors.js';
import type { Logs } from '../pdata/model.js';
import type { Component, CreateSettings, LogsConsumer } from '../pipeline/component.js';
import { filterConfigSchema } from '../processors/filter/config.js';
import { filterProcessorFactory } from '../processors/filter/factory.js';
import { transformConfigSchema } from '../processors/transform/config.js';
import { transformProcessorFactory } from '../processors/transform/factory.js';
import type { ZodType } from 'zod';
import { formatIssues } from '../config/issues.js';

/**
 * Selection (`where`) and shape (`statements`) run through the filter and transform processors
 * themselves, so an export speaks exactly the OTTL of the pipelines. The filter processor drops
 * what matches; an export keeps what matches, so each `where` becomes `not (COND)`: a record is
 * kept when every condition holds.
 */
export class RecordShaper {
  private readonly head: LogsConsumer;
  private readonly parts: Component[] = [];
  private out: Logs | undefined;

  constructor(settings: CreateSettings, where: readonly string[], statements: readonly string[]) {
    let next: LogsConsumer = { consume: async (logs) => void (this.out = logs) };
    if (statements.length > 0) {
      const config = parse('statements', transformConfigSchema, { error_mode: 'propagate', log_statements: [...statements] });
      const p = transformProcessorFactory.create({ ...settings, id: 'transform/export' }, config, next);
      this.parts.push(p);
      next = p;
    }
    if (where.length > 0) {
      const config = parse('where', filterConfigSchema, { error_mode: 'propagate', logs: { log_record: where.map((w) => `not (${w})`) } });
      const p = filterProcessorFactory.create({ ...settings, id: 'filter/export' }, config, next);
      this.parts.push(p);
      next = p;
    }
    this.head = next;
  }

  /** The records that pass the selection, shaped; `undefined` when none pass. */
  async apply(logs: Logs): Promise<Logs | undefined> {
    this.out = undefined;
    await this.head.consume(logs);
    return this.out;
  }
}

/** The OTTL problems of a job's `where` and `statements`, as messages (empty when both compile). */
export function ottlProblems(where: readonly string[], statements: readonly string[]): string[] {
  const problems: string[] = [];
  for (const [what, schema, value] of [
    ['statements', transformConfigSchema, { log_statements: [...statements] }],
    ['where', filterConfigSchema, { logs: { log_record: where.map((w) => `not (${w})`) } }],
  ] as const) {
    try {
      parse(what, schema as ZodType<unknown>, value);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}

function parse<T>(what: string, schema: ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  // Point at the user's own words, not at the processor config it was wrapped in.
  const issues = formatIssues(what, r.error, schema).map((m) => m.replace(/\.(?:logs\.log_record|log_statements)\[(\d+)\]/, '[$1]'));
  throw new ConfigError(issues.join('\n'), issues);
}
