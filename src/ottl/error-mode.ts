import { z } from 'zod';
import { PermanentError } from '../errors.js';
import type { CreateSettings } from '../pipeline/component.js';

/**
 * The Collector's `error_mode` for OTTL processors: what a statement or condition that fails to
 * evaluate on a record does. `ignore` logs and goes on, `silent` goes on quietly, `propagate`
 * refuses the whole batch (PermanentError: the data will fail the same way every time).
 * Every failure is counted in gateway_processor_statement_errors_total whatever the mode.
 */
export const errorModeSchema = z.enum(['ignore', 'silent', 'propagate']);
export type ErrorMode = z.output<typeof errorModeSchema>;

export class StatementErrors {
  private failures = 0;
  private firstMessage = '';

  constructor(private readonly settings: CreateSettings) {}

  /** Records a failure; throws for `propagate`. */
  record(mode: ErrorMode, source: string, err: unknown): void {
    this.settings.telemetry.statementErrors.inc({ processor: this.settings.id });
    const message = `failed to evaluate '${source}': ${err instanceof Error ? err.message : String(err)}`;
    if (mode === 'propagate') throw new PermanentError(`${this.settings.id}: ${message}`);
    if (mode === 'ignore') {
      if (this.failures === 0) this.firstMessage = message;
      this.failures++;
    }
  }

  /** One log line per batch, not per record: a bad statement on a busy pipeline would flood the log. */
  flush(): void {
    if (this.failures === 0) return;
    this.settings.logger.warn(`${this.firstMessage}${this.failures > 1 ? ` (and ${this.failures - 1} more failures in this batch)` : ''}`, { processor: this.settings.id });
    this.failures = 0;
    this.firstMessage = '';
  }
}
