import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { murmur3x86_32 } from '../../src/ottl/murmur3.js';
import { firstRecord, logsOf, plainAttrs, transform } from './harness.js';

const base = {
  attributes: { 'http.route': '/user/123/list/456', 'user.email': 'bob@example.com', password: 'secret', keep: 'yes', long: 'abcdefgh', n: 5n },
  body: 'login by bob@example.com from 10.0.0.1',
};

async function run(statements: string[], spec = base, resource: Record<string, unknown> = { 'host.name': 'h1' }) {
  const out = await transform(statements, logsOf([spec], resource));
  const rec = firstRecord(out);
  return { rec, attrs: plainAttrs(rec.attributes), resource: plainAttrs(out.resourceLogs[0].resource!.attributes), out };
}

/** Murmur3Hash's output: the x86 32-bit hash's bytes, little-endian, as hex. */
const murmur3Hex = (s: string) => {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(murmur3x86_32(Buffer.from(s, 'utf8')));
  return out.toString('hex');
};
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('OTTL editors', () => {
  it('set writes attributes, nested maps, body and typed fields', async () => {
    const { rec, attrs, resource } = await run([
      'set(attributes["copy"], attributes["keep"])',
      'set(attributes["a"]["b"]["c"], 1)',
      'set(body, attributes["keep"])',
      'set(severity_number, SEVERITY_NUMBER_ERROR)',
      'set(severity_text, "ERROR")',
      'set(time_unix_nano, 1700000000000000000)',
      'set(event_name, "make.test")',
      'set(trace_id.string, "0102030405060708090a0b0c0d0e0f10")',
      'set(span_id, 0x0102030405060708)',
      'set(flags, 1)',
      'set(resource.attributes["env"], "prod")',
      'set(scope.name, "renamed")',
    ]);
    expect(attrs.copy).toBe('yes');
    expect(attrs.a).toEqual({ b: { c: 1n } });
    expect(rec.body).toEqual({ stringValue: 'yes' });
    expect(rec.severityNumber).toBe(17);
    expect(rec.severityText).toBe('ERROR');
    expect(rec.timeUnixNano).toBe(1700000000000000000n);
    expect(rec.eventName).toBe('make.test');
    expect(Buffer.from(rec.traceId).toString('hex')).toBe('0102030405060708090a0b0c0d0e0f10');
    expect(Buffer.from(rec.spanId).toString('hex')).toBe('0102030405060708');
    expect(rec.flags).toBe(1);
    expect(resource.env).toBe('prod');
  });

  it('set with a nil value or a value of the wrong type leaves the field alone', async () => {
    const { rec, attrs } = await run(['set(attributes["keep"], attributes["missing"])', 'set(severity_number, "high")', 'set(trace_id, 0x01)']);
    expect(attrs.keep).toBe('yes');
    expect(rec.severityNumber).toBe(0);
    expect(rec.traceId.length).toBe(0);
  });

  it('set copies maps so later edits do not alias', async () => {
    const { attrs } = await run(['set(attributes["m"], attributes)', 'delete_key(attributes, "keep")']);
    expect((attrs.m as Record<string, unknown>).keep).toBe('yes');
    expect(attrs.keep).toBeUndefined();
  });

  it('delete_key, delete_matching_keys, keep_keys and keep_matching_keys edit maps', async () => {
    expect(Object.keys((await run(['delete_key(attributes, "password")'])).attrs)).not.toContain('password');
    expect(Object.keys((await run(['delete_matching_keys(attributes, "^(user|pass)")'])).attrs).sort()).toEqual(['http.route', 'keep', 'long', 'n']);
    expect(Object.keys((await run(['keep_keys(attributes, ["keep", "n", "absent"])'])).attrs)).toEqual(['keep', 'n']);
    expect(Object.keys((await run(['keep_matching_keys(attributes, "^user\\\\.")'])).attrs)).toEqual(['user.email']);
  });

  it('replace_pattern rewrites matches with Go-style $1 references', async () => {
    const { rec } = await run(['replace_pattern(body, "([a-z]+)@([a-z.]+)", "$1 at ${2}!")']);
    expect(rec.body).toEqual({ stringValue: 'login by bob at example.com! from 10.0.0.1' });
  });

  it('replace_pattern follows Go for $1x (a group named "1x": empty) and $$', async () => {
    const { rec } = await run(['replace_pattern(body, "(bob)", "$1x $$")']);
    expect(rec.body).toEqual({ stringValue: 'login by  $@example.com from 10.0.0.1' });
  });

  it('replace_pattern passes each expanded replacement through a hash function, formatted, as the Collector does', async () => {
    const { rec, attrs } = await run([
      'replace_pattern(attributes["user.email"], "^([a-z]+)@(.+)$", "$1", SHA256, "user-%s")',
      'replace_pattern(body, "[a-z]+@[a-z.]+", "$0", Murmur3Hash)',
    ]);
    expect(attrs['user.email']).toBe(`user-${sha256('bob')}`);
    // Murmur3Hash's own vectors are checked in converters.test.ts.
    expect(rec.body?.stringValue).toBe(`login by ${murmur3Hex('bob@example.com')} from 10.0.0.1`);
  });

  it('replace_match and replace_all_matches hash their replacement with the function', async () => {
    const { attrs } = await run(['replace_match(attributes["password"], "sec*", "masked", SHA1)', 'replace_all_matches(attributes, "y*", "no", MD5, "h:%s")']);
    expect(attrs.password).toBe(createHash('sha1').update('masked').digest('hex'));
    expect(attrs.keep).toBe(`h:${createHash('md5').update('no').digest('hex')}`);
  });

  it('replace_all_patterns hashes matching values, or keys, through the function', async () => {
    const { attrs } = await run(['replace_all_patterns(attributes, "value", "^(.+)@example\\.com$", "$1", SHA256)', 'replace_all_patterns(attributes, "key", "^pass(word)$", "$1", MD5, "k-%s")']);
    expect(attrs['user.email']).toBe(sha256('bob'));
    expect(attrs[`k-${createHash('md5').update('word').digest('hex')}`]).toBe('secret');
  });

  it('refuses as the function anything but a converter of one string, and a bad replacementFormat', async () => {
    await expect(run(['replace_pattern(body, "bob", "x", Concat)'])).rejects.toThrow(/converter that takes one string/);
    await expect(run(['replace_pattern(body, "bob", "x", NoSuchHash)'])).rejects.toThrow(/converter that takes one string/);
    await expect(run(['replace_pattern(body, "bob", "x", SHA256, "%d:%s")'])).rejects.toThrow(/single %s and no other format specifiers/);
  });

  it('replace_pattern leaves non-string targets alone', async () => {
    const { attrs } = await run(['replace_pattern(attributes["n"], "5", "6")']);
    expect(attrs.n).toBe(5n);
  });

  it('replace_all_patterns works on values or on keys', async () => {
    const values = await run(['replace_all_patterns(attributes, "value", "/\\\\d+", "/{id}")']);
    expect(values.attrs['http.route']).toBe('/user/{id}/list/{id}');
    const keys = await run(['replace_all_patterns(attributes, "key", "^user\\\\.", "customer.")']);
    expect(keys.attrs['customer.email']).toBe('bob@example.com');
    expect(keys.attrs['user.email']).toBeUndefined();
  });

  it('replace_match and replace_all_matches use glob patterns', async () => {
    const one = await run(['replace_match(attributes["http.route"], "/user/*/list/*", "/user/{userId}/list/{listId}")']);
    expect(one.attrs['http.route']).toBe('/user/{userId}/list/{listId}');
    const all = await run(['replace_all_matches(attributes, "/user/*/list/*", "/user/{userId}/list/{listId}")']);
    expect(all.attrs['http.route']).toBe('/user/{userId}/list/{listId}');
  });

  it('merge_maps inserts, updates or upserts', async () => {
    const spec = { ...base, attributes: { ...base.attributes, src: { keep: 'no', extra: 'x' } } };
    const insert = await run(['merge_maps(attributes, attributes["src"], "insert")'], spec);
    expect([insert.attrs.keep, insert.attrs.extra]).toEqual(['yes', 'x']);
    const update = await run(['merge_maps(attributes, attributes["src"], "update")'], spec);
    expect([update.attrs.keep, update.attrs.extra]).toEqual(['no', undefined]);
    const upsert = await run(['merge_maps(attributes, attributes["src"], "upsert")'], spec);
    expect([upsert.attrs.keep, upsert.attrs.extra]).toEqual(['no', 'x']);
  });

  it('stringify_all turns every value of the map into its String() form, leaving strings as they are', async () => {
    const { attrs } = await run(['set(attributes["m"]["k"], "v")', 'set(attributes["l"], ["a", 1])', 'set(attributes["f"], 1.5)', 'set(attributes["t"], true)', 'stringify_all(attributes)']);
    expect(attrs).toMatchObject({ n: '5', f: '1.5', t: 'true', keep: 'yes', m: '{"k":"v"}', l: '["a",1]' });
  });

  it('truncate_all shortens every string value', async () => {
    const { attrs } = await run(['truncate_all(attributes, 3)']);
    expect(attrs.long).toBe('abc');
    expect(attrs.n).toBe(5n);
  });

  it('truncate_all never cuts a character in two', async () => {
    const { attrs } = await run(['truncate_all(attributes, 2)'], { attributes: { e: 'a😀b' } } as never);
    expect(attrs.e).toBe('a😀');
  });

  it('replace_pattern supports named groups written the Go way', async () => {
    const { rec } = await run(['replace_pattern(body, "(?P<user>[a-z]+)@example\\.com", "${user}@redacted")']);
    expect(rec.body).toEqual({ stringValue: 'login by bob@redacted from 10.0.0.1' });
  });

  it('limit keeps priority keys first, then the first ones in order', async () => {
    const { attrs } = await run(['limit(attributes, 2, ["n"])']);
    expect(Object.keys(attrs)).toEqual(['http.route', 'n']);
  });

  it('where clauses decide per record', async () => {
    const logs = logsOf([{ attributes: { status: 'error' } }, { attributes: { status: 'success' } }]);
    const out = await transform(['set(attributes["alert"], true) where attributes["status"] == "error"'], logs);
    const recs = out.resourceLogs[0].scopeLogs[0].logRecords.map((r) => plainAttrs(r.attributes).alert);
    expect(recs).toEqual([true, undefined]);
  });

  it('map editors and [key] paths work on map and list bodies', async () => {
    const map = await run(['keep_keys(body, ["a", "list"])', 'delete_key(body, "a")', 'set(body["list"][1], "z")', 'set(body["new"]["x"], 1)'], { body: { a: 1n, b: 2n, list: ['x', 'y'] } } as never);
    expect(map.rec.body).toEqual({ kvlistValue: { values: [
      { key: 'list', value: { arrayValue: { values: [{ stringValue: 'x' }, { stringValue: 'z' }] } } },
      { key: 'new', value: { kvlistValue: { values: [{ key: 'x', value: { intValue: 1n } }] } } },
    ] } });
    const list = await run(['set(attributes["first"], body[0])'], { body: ['p', 'q'] } as never);
    expect(list.attrs.first).toBe('p');
  });

  it('editing a map that holds a string is a statement error', async () => {
    await expect(run(['delete_key(attributes["keep"], "x")'])).rejects.toThrow(/expected a map but got string/);
  });
});
