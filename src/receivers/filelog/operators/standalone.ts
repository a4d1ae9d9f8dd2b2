import type { Logger } from '../../../telemetry/logger.js';
import type { OperatorConfig } from './config.js';
import { getField, parseField, type Entry, type FieldRef } from './entry.js';
import { onError, type Operator } from './parser.js';
import { severityParser, type SeverityParser } from './severity.js';
import { timestampParser, type TimestampParser } from './timestamp.js';

/**
 * stanza's `time_parser` and `severity_parser`: the parsers' `timestamp` and `severity` blocks as
 * operators of their own, for entries an earlier operator already parsed. An absent field leaves
 * the entry as it is; a value that does not fit follows `on_error`.
 */
export class TimeOperator implements Operator {
  private readonly from: FieldRef;
  private readonly parse: TimestampParser;

  constructor(
    private readonly config: Extract<OperatorConfig, { type: 'time_parser' }>,
    private readonly logger: Logger,
  ) {
    this.from = parseField(config.parse_from);
    this.parse = timestampParser({ parse_from: config.parse_from, layout_type: config.layout_type, layout: config.layout, location: config.location });
  }

  process(e: Entry): Entry | undefined {
    const value = getField(e, this.from);
    if (value === undefined) return e;
    try {
      e.timeUnixNano = this.parse(value);
      return e;
    } catch (err) {
      return onError(this.config, this.logger, e, err);
    }
  }
}

export class SeverityOperator implements Operator {
  private readonly from: FieldRef;
  private readonly parse: SeverityParser;

  constructor(
    private readonly config: Extract<OperatorConfig, { type: 'severity_parser' }>,
    private readonly logger: Logger,
  ) {
    this.from = parseField(config.parse_from);
    this.parse = severityParser({ parse_from: config.parse_from, mapping: config.mapping, preset: config.preset });
  }

  process(e: Entry): Entry | undefined {
    const value = getField(e, this.from);
    if (value === undefined) return e;
    try {
      const s = this.parse(value);
      e.severityNumber = s.number;
      e.severityText = s.text;
      return e;
    } catch (err) {
      return onError(this.config, this.logger, e, err);
    }
  }
}
