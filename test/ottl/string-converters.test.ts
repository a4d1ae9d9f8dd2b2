import { describe, expect, it } from 'vitest';
import { evaluate } from './harness.js';

const record = {
  attributes: { s: '  padded  ', n: 42n, f: 3.5, t: true, id: 'user-123', host: 'api' },
  body: 'héllo world',
};

describe('OTTL Format, Index, Coalesce and Trim (as the Collector evaluates them)', () => {
  it.each([
    ['Format("%s-%d", [attributes["host"], attributes["n"]])', 'api-42'],
    ['Format("%05d|%-4s|%.2f|%t", [attributes["n"], "ab", attributes["f"], attributes["t"]])', '00042|ab  |3.50|true'],
    ['Format("%v and %v", [attributes["f"], attributes["missing"]])', '3.5 and <nil>'],
    ['Format("%x %q", [255, "a\\"b"])', 'ff "a\\"b"'],
    ['Format("%d", ["text"])', '%!d(string=text)'],
    ['Format("%s %s", ["one"])', 'one %!s(MISSING)'],
    ['Format("%s", ["a", 1])', 'a%!(EXTRA int64=1)'],
    ['Format("100%%", [])', '100%'],
    ['Index(body, "world")', 7n],
    ['Index(attributes["id"], "x")', -1n],
    ['Index(["a", "b", 3], 3)', 2n],
    ['Index(["a", "b"], "z")', -1n],
    ['Coalesce([attributes["missing"], attributes["host"], "fallback"])', 'api'],
    ['Coalesce([attributes["missing"], nil])', undefined],
    ['Trim(attributes["s"])', 'padded'],
    ['Trim("--x--", "-")', 'x'],
    ['Trim("xyhixy", "xy")', 'hi'],
  ])('%s', async (expr, expected) => {
    expect(await evaluate(expr, record)).toEqual(expected);
  });

  it('refuses an Index of a string by a non-string, as the Collector does', async () => {
    await expect(evaluate('Index(body, 1)', record)).rejects.toThrow(/value must also be a string/);
  });
});
