import { describe, expect, it } from 'vitest';
import { evaluate, firstRecord, logsOf, plainAttrs, transform } from './harness.js';

/** ExtractPatterns: named capture groups to a map, as the Collector's. */
describe('OTTL ExtractPatterns', () => {
  const record = { body: 'GET /api/v1/users/42 HTTP/1.1 200', attributes: { n: 5n } };

  it.each([
    ['ExtractPatterns(body, "^(?P<method>\\\\w+) (?P<path>\\\\S+)")', { method: 'GET', path: '/api/v1/users/42' }],
    // Unnamed groups are left out; a named group that took no part is "".
    ['ExtractPatterns(body, "(\\\\d+) HTTP/(?P<version>[\\\\d.]+)(?P<missing>x)?")', { version: '1.1', missing: '' }],
    ['ExtractPatterns(body, "^(?P<verb>POST)")', {}],
  ])('evaluates %s', async (expr, expected) => {
    expect(await evaluate(expr, record)).toEqual(expected);
  });

  it('merges the groups into attributes, and reports a non-string target as a statement error', async () => {
    const out = await transform(['merge_maps(attributes, ExtractPatterns(body, "status=(?P<status>\\\\d+) user=(?P<user>\\\\w+)"), "upsert")'], logsOf([{ body: 'done status=200 user=ann', attributes: {} }]));
    expect(plainAttrs(firstRecord(out).attributes)).toEqual({ status: '200', user: 'ann' });
    await expect(evaluate('ExtractPatterns(attributes["n"], "(?P<x>.)")', record)).rejects.toThrow(/expects a string, got an int/);
  });

  it('refuses a pattern without a named group when the config loads', async () => {
    await expect(evaluate('ExtractPatterns(body, "(\\\\w+)")', record)).rejects.toThrow(/at least 1 named capture group/);
  });
});
