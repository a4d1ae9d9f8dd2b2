import { describe, expect, it } from 'vitest';
import { compileGoRegex, globalOf } from '../../src/ottl/regex.js';
import { forTest, prefiltered, requiredLiteral } from '../../src/ottl/regex-plan.js';

const PATTERNS = [
  '.*token.*',
  '.*api_key.*',
  '(?i).*secret.*',
  '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}',
  'Bearer [A-Za-z0-9._~+/-]+=*',
  '^token$',
  'a.*|.*b',
  '.*',
  '.*\\.*',
  'x\\\\.*',
  '.*?lazy',
  'ab?c',
  'a{0,2}bc',
  'colou?r',
  '\\d{4}-\\d{2}',
  '\\x41BC',
  '\\u00e9t\\u00e9',
  '(?:pass|pwd)word',
  '4[0-9]{12}(?:[0-9]{3})?',
  '(\\w+)\\s\\1',
  'é+ü',
  'x(?=y)z?',
];

const TEXTS = ['', 'token', 'my_token_here', 'TOKEN', 'api_key', 'X-API_KEY', 'jane.doe@example.com', 'mail me at a@b.co now', 'Bearer abc.def=', 'bearer x', 'secret', 'Top SECRET', 'ab', 'b', 'a\nb', '..', 'x\\', 'x\\\\yy', 'lazy', 'ac', 'abc', 'aabc', 'bc', 'color', 'colour', '2026-12', 'ABC', 'été', 'password', 'pwdword', '4111111111111111', 'hello hello', 'ééü', 'xy', 'xyz', 'x'.repeat(2000) + 'token', 'a'.repeat(3000)];

describe('regex plans (redaction key tests, literal prefilters)', () => {
  for (const pattern of PATTERNS) {
    it(`answers as the pattern does: ${pattern}`, () => {
      const re = compileGoRegex(pattern);
      const fast = prefiltered(forTest(re));
      for (const text of TEXTS) expect(fast(text), JSON.stringify(text)).toBe(re.test(text));
      // The literal filter in front of a replace-all: same output whenever it skips the regex.
      const literal = requiredLiteral(globalOf(re));
      for (const text of TEXTS) if (literal !== undefined && !text.includes(literal)) expect(text.replace(globalOf(re), '****')).toBe(text);
    });
  }

  it('drops the leading and trailing .* that make key tests quadratic', () => {
    expect(forTest(compileGoRegex('.*token.*')).source).toBe('token');
    expect(forTest(compileGoRegex('.*\\.*')).source).toBe('\\.*');
    expect(forTest(compileGoRegex('a.*|.*b')).source).toBe('a.*|.*b');
  });

  it('finds the literal every match needs, and none where there is none', () => {
    const lit = (p: string) => requiredLiteral(compileGoRegex(p));
    expect(lit('[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}')).toBe('@');
    expect(lit('Bearer [A-Za-z0-9._~+/-]+=*')).toBe('Bearer ');
    expect(lit('colou?r')).toBe('colo');
    expect(lit('\\u00e9t\\u00e9')).toBe('t');
    expect(lit('(?i)secret')).toBeUndefined();
    expect(lit('a|b')).toBeUndefined();
    expect(lit('.*')).toBeUndefined();
  });
});
