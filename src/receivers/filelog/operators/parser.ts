import { MAX_ANY_VALUE_DEPTH } from '../../../pdata/proto-decode.js';
import { nestsDeeperThan } from '../../../pdata/values.js';
import type { Logger } from '../../../telemetry/logger.js';
import { goRegex, type OperatorConfig } from './config.js';
import { getField, parseField, setField, type Entry, type FieldRef } from './entry.js';
import { severityParser, type SeverityParser } from './severity.js';
import { timestampParser, type TimestampParser } from './timestamp.js';

/**
 * The parsers shared by `json_parser` and `regex_parser` (stanza's ParserOperator): read
 * `parse_from`, turn it into a map, merge it at `parse_to`, then take the timestamp and severity
 * from their fields. The source field is kept. A value that does not parse follows `on_error`.
 */

/** One step of the chain: the entry to hand on, or undefined when it is dropped or held back. */
export interface Operator {
  process(e: Entry): Entry | undefined;
}

type ParseFn = (value: unknown) => Record<string, unknown>;

type ParserConfig = Extract<OperatorConfig, { type: 'json_parser' | 'regex_parser' }>;

export class ParserOperator implements Operator {
  private readonly from: FieldRef;
  private readonly to: FieldRef;
  private readonly timestamp?: { from: FieldRef; parse: TimestampParser };
  private readonly severity?: { from: FieldRef; parse: SeverityParser };

  constructor(
    private readonly config: ParserConfig,
    private readonly parse: ParseFn,
    private readonly logger: Logger,
  ) {
    this.from = parseField(config.parse_from);
    this.to = parseField(config.parse_to);
    if (config.timestamp) this.timestamp = { from: parseField(config.timestamp.parse_from), parse: timestampParser(config.timestamp) };
    if (config.severity) this.severity = { from: parseField(config.severity.parse_from), parse: severityParser(config.severity) };
  }

  process(e: Entry): Entry | undefined {
    try {
      setField(e, this.to, this.parse(getField(e, this.from)));
      if (this.timestamp) e.timeUnixNano = this.timestamp.parse(getField(e, this.timestamp.from));
      if (this.severity) {
        const v = getField(e, this.severity.from);
        if (v !== undefined) {
          const s = this.severity.parse(v);
          e.severityNumber = s.number;
          e.severityText = s.text;
        }
      }
      return e;
    } catch (err) {
      return onError(this.config, this.logger, e, err);
    }
  }
}

/** stanza's on_error: send (default) or drop the entry, logged unless `_quiet`. */
export function onError(config: { type: string; id?: string; on_error: string }, logger: Logger, e: Entry, err: unknown): Entry | undefined {
  const attrs = { operator: config.id ?? config.type, error: (err as Error).message };
  if (config.on_error.endsWith('_quiet')) logger.debug('filelog: operator failed on an entry', attrs);
  else logger.warn('filelog: operator failed on an entry', attrs);
  return config.on_error.startsWith('send') ? e : undefined;
}

export function jsonParse(value: unknown): Record<string, unknown> {
  if (typeof value !== 'string') throw new Error(`json_parser: expected a string, got ${typeof value}`);
  const parsed: unknown = JSON.parse(value);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('json_parser: the value is JSON but not an object');
  if (nestsDeeperThan(parsed, MAX_ANY_VALUE_DEPTH)) throw new Error(`json_parser: the value nests deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  return parsed as Record<string, unknown>;
}

export function regexParse(regex: string): ParseFn {
  const re = new RegExp(goRegex(regex));
  return (value) => {
    if (typeof value !== 'string') throw new Error(`regex_parser: expected a string, got ${typeof value}`);
    const m = re.exec(value);
    if (!m?.groups) throw new Error('regex_parser: the value does not match the regex');
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(m.groups)) if (v !== undefined) out[k] = v;
    return out;
  };
}
