import { describe, expect, it } from 'vitest';
import { evaluate } from './harness.js';

const record = {
  attributes: { deep: `{"v": ${'['.repeat(64)}1${']'.repeat(64)}}`, s: 'Hello World', n: 42n, f: 3.9, t: true, json: '{"a": 1, "b": {"c": "d"}, "l": [1, "x"]}', csv: 'a,b,,c', id: 'user-123', m: { k: 'v' } },
  body: '[2023-09-22 07:38:22,570] INFO [Something]: some interesting log',
};

describe('OTTL converters', () => {
  it.each([
    ['IsMatch(body, "\\\\sINFO\\\\s")', true],
    ['IsMatch(body, "^INFO")', false],
    ['IsMatch(attributes["n"], "^4\\\\d$")', true],
    ['IsMatch(attributes["missing"], ".*")', false],
    ['IsMatch(attributes["s"], "(?i)hello")', true],
    ['IsMatch(attributes["id"], "(?P<kind>\\\\w+)-\\\\d+")', true],
    ['Concat([attributes["s"], attributes["n"], attributes["t"], 1.5], "|")', 'Hello World|42|true|1.5'],
    ['Concat(["a", attributes["missing"], "b"], "-")', 'a-<nil>-b'],
    ['Concat(["a", attributes["m"], "b"], "")', 'ab'],
    ['Concat(vals = ["x", "y"], delimiter = "+")', 'x+y'],
    ['Concat(["a", "b"], String(1))', 'a1b'],
    ['Split(attributes["csv"], ",")', ['a', 'b', '', 'c']],
    ['Split(attributes["missing"], ",")', undefined],
    ['Int(attributes["f"])', 3n],
    ['Int("-17")', -17n],
    ['Int("1.5")', undefined],
    ['Int(true)', 1n],
    ['Int(attributes["n"])', 42n],
    ['Double(attributes["n"])', 42],
    ['Double("2.5")', 2.5],
    ['Bool("true")', true],
    ['Bool(0)', false],
    ['String(attributes["n"])', '42'],
    ['String(attributes["t"])', 'true'],
    ['String(0xCAFE)', 'cafe'],
    ['String(attributes["m"])', '{"k":"v"}'],
    ['String(attributes["missing"])', undefined],
    ['ParseJSON(attributes["json"])["b"]["c"]', 'd'],
    ['ParseJSON(attributes["json"])["a"]', 1],
    ['ParseJSON(attributes["json"])["l"]', [1, 'x']],
    ['ParseJSON("[1, 2]")', [1, 2]],
    ['ParseJSON(attributes["json"])["l"][1]', 'x'],
    ['Split(attributes["csv"], ",")[1]', 'b'],
    ['Len(attributes["s"])', 11n],
    ['Len("héllo")', 6n],
    ['Len(Split(attributes["csv"], ","))', 4n],
    ['Len(attributes["m"])', 1n],
    ['IsString(body)', true],
    ['IsString(attributes["n"])', false],
    ['IsMap(attributes["m"])', true],
    ['IsMap(body)', false],
    ['IsInt(attributes["n"])', true],
    ['IsDouble(attributes["f"])', true],
    ['IsBool(attributes["t"])', true],
    ['IsList(Split("a,b", ","))', true],
    ['ConvertCase(attributes["s"], "lower")', 'hello world'],
    ['ConvertCase(attributes["s"], "upper")', 'HELLO WORLD'],
    ['ConvertCase(attributes["s"], "snake")', 'hello_world'],
    ['ConvertCase("make_execution_status", "camel")', 'MakeExecutionStatus'],
    // Reference digests of "hello" (sha*sum/md5sum) and its FNV-1a 64 (0xa430d84680aabd0b as int64).
    ['SHA256("hello")', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'],
    ['SHA1("hello")', 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'],
    ['MD5("hello")', '5d41402abc4b2a76b9719d911017c592'],
    ['SHA512("hello")', '9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043'],
    ['FNV("hello")', -6615550055289275125n],
    // MurmurHash3 reference values (x86_32 "hello world" = 1586663183; x64_128 "hello world" =
    // 5998619086395760910, 12364428806279881649; the fox sentence is Guava's test vector), written
    // as the Collector does: the hash's bytes little-endian, in hex.
    ['Murmur3Hash("hello world")', '0f8f925e'],
    ['Murmur3Hash("")', '00000000'],
    ['Murmur3Hash128("hello world")', '0e617feb46603f53b163eb607d4697ab'],
    ['Murmur3Hash128("The quick brown fox jumps over the lazy dog")', '6c1b07bc7bbc4be347939ac4a93c437a'],
    // xxHash3 vectors from the Collector's own tests (canonical big-endian hex); "" is hashed.
    ['XXH3("hello world")', 'd447b1ea40e6988b'],
    ['XXH3("")', '2d06800538d394c2'],
    ['XXH128("hello world")', 'df8d09e93f874900a99b8775cc15b6c7'],
    ['XXH128("")', '99aa06d3014798d86001c324468d497f'],
    ['SHA256("")', ''],
    ['FNV("")', ''],
    ['ToLowerCase(attributes["s"])', 'hello world'],
    ['ToUpperCase(attributes["s"])', 'HELLO WORLD'],
    ['Substring(attributes["s"], 6, 5)', 'World'],
    ['HasPrefix(attributes["id"], "user-")', true],
    ['HasSuffix(attributes["id"], "-124")', false],
  ])('evaluates %s', async (expr, expected) => {
    expect(await evaluate(expr, record)).toEqual(expected);
  });

  it.each([
    ['ParseJSON(attributes["s"])', /ParseJSON/],
    ['ParseJSON(attributes["deep"])', /ParseJSON: the JSON nests deeper than 64 levels/],
    ['Substring(attributes["s"], 8, 10)', /invalid range/],
    ['ConvertCase(attributes["n"], "lower")', /expects a string/],
    ['SHA256(attributes["n"])', /expected a string/],
  ])('reports %s as a statement error', async (expr, message) => {
    await expect(evaluate(expr, record)).rejects.toThrow(message);
  });
});
