import { describe, expect, it } from 'vitest';
import { compileGoRegex, globToRegex, goReplacer } from '../../src/ottl/regex.js';

describe('Go RE2 patterns in JavaScript', () => {
  it.each([
    ['(?i)error', 'An ERROR happened', true],
    ['(?s)a.b', 'a\nb', true],
    ['a.b', 'a\nb', false],
    ['(?P<id>\\d+)', 'id 42', true],
    ['\\Astart', 'start here', true],
    ['\\Astart', 'not start', false],
    ['end\\z', 'the end', true],
    ['[[:digit:]]+', 'abc123', true],
    ['[[:^digit:]]+', '123', false],
    ['password\\=[^\\s]*', 'password=x', true],
    ['.', '😀', true],
  ])('%s on %j → %s', (pattern, text, expected) => {
    expect(compileGoRegex(pattern).test(text)).toBe(expected);
  });

  it('refuses flags in the middle of a pattern and the ungreedy flag', () => {
    expect(() => compileGoRegex('a(?i)b')).toThrow(/only supported at the start/);
    expect(() => compileGoRegex('(?U)a+')).toThrow(/not supported/);
  });

  it('matches one code point with "." as Go does', () => {
    expect('😀'.replace(compileGoRegex('^.$'), 'x')).toBe('x');
  });
});

describe('Go replacement templates', () => {
  const apply = (pattern: string, text: string, template: string) => text.replace(new RegExp(compileGoRegex(pattern).source, 'gu'), goReplacer(template));
  it.each([
    ['(\\w+)@(\\w+)', 'bob@corp', '$2:$1', 'corp:bob'],
    ['(\\w+)@(\\w+)', 'bob@corp', '${1}x', 'bobx'],
    ['(\\w+)@(\\w+)', 'bob@corp', '$1x', ''],
    ['(?P<user>\\w+)@\\w+', 'bob@corp', '$user!', 'bob!'],
    ['(?P<user>\\w+)@\\w+', 'bob@corp', '${user}!', 'bob!'],
    ['b', 'abc', '$$', 'a$c'],
    ['b', 'abc', '$0$0', 'abbc'],
    ['b', 'abc', '$', 'a$c'],
    ['(b)', 'abc', '$9', 'ac'],
  ])('%s on %s with %s → %s', (pattern, text, template, expected) => {
    expect(apply(pattern, text, template)).toBe(expected);
  });
});

describe('glob patterns', () => {
  it.each([
    ['/user/*/list/*', '/user/1/list/2', true],
    ['/user/*/list/*', '/users/1', false],
    ['file?.log', 'file1.log', true],
    ['a.b', 'axb', false],
  ])('%s matches %s → %s', (glob, text, expected) => {
    expect(globToRegex(glob).test(text)).toBe(expected);
  });
});
