import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redactionConfigSchema } from '../../../src/processors/redaction/config.js';
import { redactionProcessorFactory } from '../../../src/processors/redaction/factory.js';
import { Capture, counterValue, firstRecord, logsOf, plainAttrs, settings } from '../../ottl/harness.js';

async function redact(config: unknown, spec: Parameters<typeof logsOf>[0][number], resource: Record<string, unknown> = {}) {
  const s = settings('redaction');
  const out = new Capture();
  const p = redactionProcessorFactory.create(s, redactionProcessorFactory.schema.parse(config), out);
  await p.consume(logsOf([spec], resource));
  const rec = firstRecord(out.batches[0]);
  return { rec, attrs: plainAttrs(rec.attributes), resource: plainAttrs(out.batches[0].resourceLogs[0].resource!.attributes), s };
}

const VISA = '4[0-9]{12}(?:[0-9]{3})?';
const record = {
  attributes: { id: 7n, name: 'bob', card: 'paid with 4111111111111111 ok', birth_date: '1990-01-01', safe_attribute: '4111111111111111', api_token: 'abc' },
  body: 'card 4111111111111111 used',
};

describe('redaction processor', () => {
  it('removes keys not allowed, masks blocked values and writes a debug summary', async () => {
    const { attrs, rec } = await redact(
      { allowed_keys: ['id', 'name', 'card', 'api_token'], ignored_keys: ['safe_attribute'], blocked_values: [VISA], blocked_key_patterns: ['.*token.*'], summary: 'debug' },
      record,
    );
    expect(attrs).toEqual({
      id: 7n,
      name: 'bob',
      card: 'paid with **** ok',
      safe_attribute: '4111111111111111',
      api_token: '****',
      'redaction.redacted.keys': 'birth_date',
      'redaction.redacted.count': 1n,
      'redaction.masked.keys': 'api_token,card',
      'redaction.masked.count': 2n,
      'redaction.ignored.count': 1n,
      'redaction.body.masked.keys': 'body',
      'redaction.body.masked.count': 1n,
    });
    expect(rec.body).toEqual({ stringValue: 'card **** used' });
  });

  it('info summary has counts only; silent (and the default) adds nothing', async () => {
    const info = await redact({ allow_all_keys: true, blocked_values: [VISA], summary: 'info' }, record);
    expect(info.attrs['redaction.masked.count']).toBe(2n); // card and safe_attribute (not ignored here)
    expect(info.attrs['redaction.masked.keys']).toBeUndefined();
    const silent = await redact({ allow_all_keys: true, blocked_values: [VISA] }, record);
    expect(Object.keys(silent.attrs).filter((k) => k.startsWith('redaction.'))).toEqual([]);
    expect(silent.attrs.card).toBe('paid with **** ok');
  });

  it('fails closed: without allowed_keys every attribute is removed, resource ones included', async () => {
    const { attrs, resource } = await redact({}, record, { 'service.name': 'make' });
    expect(attrs).toEqual({});
    expect(resource).toEqual({});
  });

  it('ignored_key_patterns pass matching keys untouched, even where allowed_keys would remove them', async () => {
    const { attrs } = await redact(
      { allowed_keys: ['name'], ignored_key_patterns: ['^safe_', '_trusted$'], blocked_values: [VISA], summary: 'info' },
      { attributes: { name: 'paid 4111111111111111', safe_card: '4111111111111111', card_trusted: '4111111111111111', card: '4111111111111111' } },
    );
    expect(attrs).toEqual({
      name: 'paid ****',
      safe_card: '4111111111111111',
      card_trusted: '4111111111111111',
      'redaction.redacted.count': 1n,
      'redaction.masked.count': 1n,
      'redaction.ignored.count': 2n,
    });
  });

  it('refuses an invalid ignored_key_patterns regex at config time', () => {
    const r = redactionConfigSchema.safeParse({ ignored_key_patterns: ['(unclosed'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['ignored_key_patterns', 0]);
  });

  it('allowed_values take precedence over blocked_values', async () => {
    const { attrs } = await redact({ allow_all_keys: true, blocked_values: ['[a-z]+@[a-z.]+'], allowed_values: ['.+@mycompany\\.com'] }, { attributes: { a: 'x@mycompany.com', b: 'y@other.org' } });
    expect(attrs).toEqual({ a: 'x@mycompany.com', b: '****' });
  });

  it('hash_function replaces matches with their digest', async () => {
    const { attrs } = await redact({ allow_all_keys: true, blocked_values: [VISA], hash_function: 'md5' }, { attributes: { card: '4111111111111111' } });
    expect(attrs.card).toBe(createHash('md5').update('4111111111111111').digest('hex'));
  });

  it('redact_all_types checks numbers too', async () => {
    const off = await redact({ allow_all_keys: true, blocked_values: [VISA] }, { attributes: { card: 4111111111111111n } });
    expect(off.attrs.card).toBe(4111111111111111n);
    const on = await redact({ allow_all_keys: true, blocked_values: [VISA], redact_all_types: true }, { attributes: { card: 4111111111111111n } });
    expect(on.attrs.card).toBe('****');
  });

  it('applies the rules to map bodies recursively', async () => {
    const { rec, attrs } = await redact(
      { allowed_keys: ['user', 'email', 'items'], blocked_values: ['[a-z]+@[a-z.]+'], summary: 'debug' },
      { body: { user: { email: 'bob@example.com', ssn: '123' }, items: ['a@b.c', 'plain'] } },
    );
    expect(plainAttrs(rec.body!.kvlistValue!.values)).toEqual({ user: { email: '****' }, items: ['****', 'plain'] });
    expect(attrs['redaction.body.masked.keys']).toBe('items[0],user.email');
    expect(attrs['redaction.body.redacted.keys']).toBe('user.ssn');
  });

  it('counts records in and out and refuses invalid regexes at config time', async () => {
    const { s } = await redact({ allow_all_keys: true }, record);
    expect(await counterValue(s.telemetry.processorIncoming, 'redaction')).toBe(1);
    expect(await counterValue(s.telemetry.processorOutgoing, 'redaction')).toBe(1);
    const bad = redactionProcessorFactory.schema.safeParse({ blocked_values: ['('] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0].path).toEqual(['blocked_values', 0]);
    expect(redactionProcessorFactory.schema.safeParse({ summary: 'verbose' }).success).toBe(false);
    expect(redactionProcessorFactory.mutatesData).toBe(true);
  });
});
