import type { Logger } from '../../../telemetry/logger.js';
import type { OperatorConfig } from './config.js';
import { ContainerOperator } from './container.js';
import type { Entry } from './entry.js';
import { jsonParse, ParserOperator, regexParse, type Operator } from './parser.js';
import { SeverityOperator, TimeOperator } from './standalone.js';

/** The configured operators in order; an entry one of them drops goes no further. */
export class OperatorChain {
  private readonly operators: Operator[];

  constructor(configs: readonly OperatorConfig[], logger: Logger) {
    this.operators = configs.map((c) => {
      if (c.type === 'json_parser') return new ParserOperator(c, jsonParse, logger);
      if (c.type === 'regex_parser') return new ParserOperator(c, regexParse(c.regex), logger);
      if (c.type === 'time_parser') return new TimeOperator(c, logger);
      if (c.type === 'severity_parser') return new SeverityOperator(c, logger);
      return new ContainerOperator(c, logger);
    });
  }

  run(e: Entry): Entry | undefined {
    let out: Entry | undefined = e;
    for (const op of this.operators) {
      out = op.process(out);
      if (!out) return undefined;
    }
    return out;
  }
}
