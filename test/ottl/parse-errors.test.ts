import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { compileStatementGroup, inferContext, OttlConfigError } from '../../src/ottl/index.js';
import { parseCondition } from '../../src/ottl/parser.js';
import { transformProcessorFactory } from '../../src/processors/transform/factory.js';
import { Capture, settings } from './harness.js';

function errorOf(statement: string): string {
  try {
    compileStatementGroup({ statements: [{ source: statement, path: ['log_statements', 0] }] });
  } catch (err) {
    expect(err).toBeInstanceOf(OttlConfigError);
    return (err as Error).message;
  }
  throw new Error(`expected '${statement}' to be refused`);
}

describe('OTTL parse errors name the statement and the column', () => {
  it.each([
    ['set(attributes["a"], )', 'unexpected token ")" at column 22'],
    ['set(attributes["a"]', 'unexpected end of statement (expected ")") at column 20'],
    ['set(attributes["a"], "x") where', 'unexpected end of statement at column 32'],
    ['set(attributes["a"], "x) ', 'unterminated string at column 22'],
    ['set(attributes["a"], 1) whre true', 'unexpected token "whre" at column 25'],
    ['set(attributes["a"], 1 ~ 2)', 'unexpected character "~" at column 24'],
    ['frobnicate(body)', 'unknown editor "frobnicate" at column 1'],
    ['set(body, Frobnicate(body))', 'unknown converter "Frobnicate" at column 11'],
    ['IsMatch(body, "x")', 'expected an editor call'],
    ['set(body, set(body, 1))', 'editor "set" cannot be used as a value'],
    ['set(span.name, "x")', 'unknown path "span.name" at column 5'],
    ['set(attributes["a"], SEVERITY_NUMBER_LOUD)', 'unknown enum "SEVERITY_NUMBER_LOUD" at column 22'],
    ['set(attributes["a"], 0xABC)', 'invalid bytes literal "0xABC" at column 22'],
    ['set(attributes["a"], 9223372036854775808)', 'does not fit in int64'],
    ['set(attributes["a"])', 'set is missing its argument "value"'],
    ['set(attributes["a"], 1, 2)', 'set takes 2 arguments, got 3'],
    ['set("a", 1)', 'argument "target" of set must be a path'],
    ['IsMatch(body, "(")', 'expected an editor call'],
    ['set(attributes["a"], 1) where IsMatch(body, "(")', 'invalid arguments to IsMatch'],
    ['keep_keys(attributes, "a")', 'argument "keys" of keep_keys must be a list of string literals'],
    ['truncate_all(attributes, -1)', 'invalid arguments to truncate_all: invalid limit -1'],
    ['limit(attributes, 1, ["a", "b"])', '2 priority keys are more than the limit 1'],
    ['merge_maps(attributes, body, "replace")', 'invalid strategy "replace"'],
    ['replace_all_patterns(attributes, "keys", "a", "b")', 'invalid mode "keys"'],
    ['set(attributes["a"], ConvertCase(body, "kebab"))', 'invalid case "kebab"'],
    ['set(Concat(delimiter = "", vals = []), 1)', 'argument "target" of set must be a path'],
    ['set(attributes["a"], Concat(vals = [], "x"))', 'positional arguments must come before named arguments'],
    ['set(attributes["a"], Concat(["x"], separator = ","))', 'Concat has no parameter named "separator"'],
  ])('%s', (statement, message) => {
    const text = errorOf(statement);
    expect(text).toContain(message);
    expect(text.startsWith('log_statements[0]: ')).toBe(true);
    expect(text).toContain(`in '${statement}'`);
  });

  it('refuses a statement with a log path in the resource context', () => {
    expect(() => compileStatementGroup({ context: 'resource', statements: [{ source: 'set(log.body, "x")', path: ['statements', 0] }] })).toThrow(
      'statements[0]: path "log.body" is not available in the resource context at column 5',
    );
    expect(() => compileStatementGroup({ context: 'resource', statements: [{ source: 'set(body, "x")', path: ['statements', 0] }] })).toThrow(
      'statements[0]: unknown path "body" at column 5',
    );
  });

  it('reports config errors with the processor id and the statement index', () => {
    const config = { error_mode: 'ignore', log_statements: ['set(attributes["ok"], 1)', 'set(attributes["a"], )'] } as never;
    expect(() => transformProcessorFactory.create(settings('transform/x'), config, new Capture())).toThrow(ConfigError);
    expect(() => transformProcessorFactory.create(settings('transform/x'), config, new Capture())).toThrow(
      `processors.transform/x.log_statements[1]: unexpected token ")" at column 22 in 'set(attributes["a"], )'`,
    );
  });

  it('the config schema refuses a bad statement at its path, so validate catches it', () => {
    const result = transformProcessorFactory.schema.safeParse({ log_statements: [{ statements: ['set(body, 1)', 'set(body'] }] });
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0];
    expect(issue.path).toEqual(['log_statements', 0, 'statements', 1]);
    expect(issue.message).toContain('unexpected end of statement');
  });
});

describe('context inference', () => {
  it.each([
    ['resource.attributes["a"] == "b"', 'resource'],
    ['scope.name == "x" and resource.attributes["a"] == "b"', 'scope'],
    ['log.body == "x" and resource.attributes["a"] == "b"', 'log'],
    ['attributes["a"] == "b"', 'log'],
    ['IsMatch(instrumentation_scope.name, "x")', 'scope'],
  ])('%s → %s context', (condition, kind) => {
    expect(inferContext([parseCondition(condition)])).toBe(kind);
  });
});
