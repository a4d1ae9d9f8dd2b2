import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../../src/errors.js';
import type { Logs } from '../../../src/pdata/model.js';
import { transformProcessorFactory } from '../../../src/processors/transform/factory.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Capture, counterValue, firstRecord, logsOf, plainAttrs, settings } from '../../ottl/harness.js';

function make(config: unknown) {
  const s = settings('transform');
  const out = new Capture();
  const p = transformProcessorFactory.create(s, transformProcessorFactory.schema.parse(config), out);
  return { p, out, s };
}

function records(logs: Logs) {
  return logs.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords));
}

describe('transform processor', () => {
  it('runs flat statements in order and passes every record on', async () => {
    const { p, out, s } = make({ log_statements: ['set(attributes["a"], 1)', 'set(attributes["b"], attributes["a"] + 1)'] });
    await p.consume(logsOf([{}, {}]));
    expect(records(out.batches[0]).map((r) => plainAttrs(r.attributes))).toEqual([
      { a: 1n, b: 2n },
      { a: 1n, b: 2n },
    ]);
    expect(await counterValue(s.telemetry.processorIncoming, 'transform')).toBe(2);
    expect(await counterValue(s.telemetry.processorOutgoing, 'transform')).toBe(2);
  });

  it('runs advanced groups only where one of their conditions holds', async () => {
    const { p, out } = make({
      log_statements: [
        { context: 'log', conditions: ['attributes["kind"] == "a"', 'attributes["kind"] == "b"'], statements: ['set(attributes["hit"], true)'] },
      ],
    });
    await p.consume(logsOf([{ attributes: { kind: 'a' } }, { attributes: { kind: 'b' } }, { attributes: { kind: 'c' } }]));
    expect(records(out.batches[0]).map((r) => plainAttrs(r.attributes).hit)).toEqual([true, true, undefined]);
  });

  it('runs resource-context statements once per resource', async () => {
    const { p, out } = make({
      log_statements: [{ context: 'resource', statements: ['set(attributes["count"], 1) where attributes["count"] == nil', 'set(attributes["count"], attributes["count"] + 1)'] }],
    });
    await p.consume(logsOf([{}, {}, {}]));
    expect(plainAttrs(out.batches[0].resourceLogs[0].resource!.attributes).count).toBe(2n);
  });

  it('runs scope-context statements on the scope', async () => {
    const { p, out } = make({ log_statements: [{ context: 'scope', statements: ['set(name, Concat([name, "x"], "-"))', 'set(attributes["v"], version)'] }] });
    await p.consume(logsOf([{}, {}]));
    const scope = out.batches[0].resourceLogs[0].scopeLogs[0].scope!;
    expect(scope.name).toBe('make-x');
    expect(plainAttrs(scope.attributes).v).toBe('1.0');
  });

  it('shares cache between statements of one group, fresh for each record', async () => {
    const { p, out } = make({
      log_statements: [
        {
          statements: [
            'merge_maps(log.cache, ParseJSON(log.body), "upsert") where IsMatch(log.body, "^\\\\{")',
            'set(log.attributes["attr1"], log.cache["attr1"])',
            'set(log.attributes["nested.attr3"], log.cache["nested"]["attr3"])',
          ],
        },
      ],
    });
    await p.consume(logsOf([{ body: '{"attr1": "foo", "nested": {"attr3": "example"}}' }, { body: 'plain text' }]));
    expect(records(out.batches[0]).map((r) => plainAttrs(r.attributes))).toEqual([{ attr1: 'foo', 'nested.attr3': 'example' }, {}]);
  });

  it('ignore (the default) skips a failing statement, runs the rest and counts the error', async () => {
    const { p, out, s } = make({ log_statements: ['set(attributes["p"], ParseJSON(body))', 'set(attributes["after"], true)'] });
    await p.consume(logsOf([{ body: 'not json' }]));
    expect(plainAttrs(firstRecord(out.batches[0]).attributes)).toEqual({ after: true });
    expect(await counterValue(s.telemetry.statementErrors, 'transform')).toBe(1);
  });

  it('ignore logs one warning per batch however many records fail; silent logs none', async () => {
    for (const [mode, lines] of [['ignore', 1], ['silent', 0]] as const) {
      const warnings: string[] = [];
      const logger = { ...silentLogger, warn: (msg: string) => warnings.push(msg) };
      const p = transformProcessorFactory.create({ ...settings('transform'), logger }, transformProcessorFactory.schema.parse({ error_mode: mode, log_statements: ['set(attributes["p"], ParseJSON(body))'] }), new Capture());
      await p.consume(logsOf([{ body: 'a' }, { body: 'b' }, { body: 'c' }]));
      expect(warnings).toHaveLength(lines);
      if (lines) expect(warnings[0]).toContain('(and 2 more failures in this batch)');
    }
  });

  it('propagate refuses the batch with a PermanentError naming the statement', async () => {
    const { p, out } = make({ error_mode: 'propagate', log_statements: ['set(attributes["p"], ParseJSON(body))'] });
    const err = await p.consume(logsOf([{ body: 'not json' }])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain(`set(attributes["p"], ParseJSON(body))`);
    expect(out.batches).toHaveLength(0);
  });

  it('a group error_mode overrides the top-level one', async () => {
    const { p, out } = make({ error_mode: 'propagate', log_statements: [{ error_mode: 'silent', statements: ['set(attributes["p"], ParseJSON(body))'] }] });
    await p.consume(logsOf([{ body: 'not json' }]));
    expect(out.batches).toHaveLength(1);
  });

  it('accepts other signals and flatten_data: false, refuses flatten_data: true and unknown keys', () => {
    const schema = transformProcessorFactory.schema;
    expect(schema.safeParse({ trace_statements: ['set(span.name, "x")'], flatten_data: false }).success).toBe(true);
    expect(schema.safeParse({ flatten_data: true }).success).toBe(false);
    expect(schema.safeParse({ log_statement: [] }).success).toBe(false);
    expect(schema.safeParse({ log_statements: [{ context: 'span', statements: ['set(body, 1)'] }] }).success).toBe(false);
  });

  it('reports a misspelt key inside a statement group at that key', () => {
    const result = transformProcessorFactory.schema.safeParse({ log_statements: [{ statments: ['set(body, 1)'] }] });
    expect(result.success).toBe(false);
    const unknown = result.error!.issues.find((i) => i.code === 'unrecognized_keys');
    expect(unknown?.path).toEqual(['log_statements', 0]);
    expect((unknown as { keys: string[] }).keys).toEqual(['statments']);
  });

  it('reports every bad statement at once, parse and compile errors alike, each at its own path', () => {
    const result = transformProcessorFactory.schema.safeParse({
      log_statements: [
        'set(attributes["a"], Nope1(body))',
        'set(attributes["ok"], 1)',
        'set(attributes["b"], body',
        { context: 'log', statements: ['set(attributes["c"], 1)', 'set(attributes["d"], Nope2())'] },
      ],
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => [i.path.join('.'), i.message.split(' at column')[0]])).toEqual([
      ['log_statements.0', 'unknown converter "Nope1"'],
      ['log_statements.2', 'unexpected end of statement (expected ")")'],
      ['log_statements.3.statements.1', 'unknown converter "Nope2"'],
    ]);
  });

  it('declares that it mutates data', () => {
    expect(transformProcessorFactory.mutatesData).toBe(true);
  });
});
