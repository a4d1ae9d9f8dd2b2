import { createHash } from 'node:crypto';
import type { AnyValue, KeyValue } from '../../pdata/model.js';
import { anyValueToString } from '../../pdata/values.js';
import { compileGoRegex, globalOf } from '../../ottl/regex.js';
import type { RedactionConfig } from './config.js';
import { forTest, prefiltered, requiredLiteral } from '../../ottl/regex-plan.js';

type Test = (text: string) => boolean;

/**
 * The redaction rules, applied to one attribute map (or map body) at a time:
 * ignored keys pass untouched; keys not allowed are removed; keys matching a blocked key pattern
 * have their whole value masked; other string values have every blocked-value match masked,
 * unless the value matches an allowed value. Masks are `****` or a hex digest (hash_function).
 */

/** The Collector's fixed mask. */
export const MASK = '****';

const HASHES: Record<string, string> = { md5: 'md5', sha1: 'sha1', sha3: 'sha3-256' };

export interface Outcome {
  redacted: string[];
  masked: string[];
  ignored: string[];
}

export const SUMMARY_KEYS = [
  'redaction.redacted.keys',
  'redaction.redacted.count',
  'redaction.masked.keys',
  'redaction.masked.count',
  'redaction.ignored.count',
  'redaction.body.redacted.keys',
  'redaction.body.redacted.count',
  'redaction.body.masked.keys',
  'redaction.body.masked.count',
  'redaction.body.ignored.count',
];

export class Redactor {
  private readonly allowed: Set<string>;
  private readonly ignored: Set<string>;
  private readonly ignoredKeys: Test[];
  private readonly blockedValues: { re: RegExp; literal: string | undefined }[];
  private readonly allowedValues: Test[];
  private readonly blockedKeys: Test[];
  private readonly hash: string | undefined;

  constructor(private readonly config: RedactionConfig) {
    // The summary attributes a previous redaction step added must survive this one.
    this.allowed = new Set([...config.allowed_keys, ...SUMMARY_KEYS]);
    this.ignored = new Set(config.ignored_keys);
    // Same answers as the patterns as written, without their backtracking (regex-plan.ts).
    const test = (p: string) => prefiltered(forTest(compileGoRegex(p)));
    this.ignoredKeys = config.ignored_key_patterns.map(test);
    this.blockedValues = config.blocked_values.map((p) => {
      const re = globalOf(compileGoRegex(p));
      return { re, literal: requiredLiteral(re) };
    });
    this.allowedValues = config.allowed_values.map(test);
    this.blockedKeys = config.blocked_key_patterns.map(test);
    this.hash = HASHES[config.hash_function];
  }

  private mask(text: string): string {
    return this.hash ? createHash(this.hash).update(text).digest('hex') : MASK;
  }

  /** Masks blocked-value matches in a string; undefined when nothing matched or the value is allowed. */
  maskValue(text: string): string | undefined {
    if (this.blockedValues.length === 0) return undefined;
    for (const allowed of this.allowedValues) if (allowed(text)) return undefined;
    let out = text;
    for (const { re, literal } of this.blockedValues) {
      if (literal !== undefined && !out.includes(literal)) continue;
      re.lastIndex = 0;
      out = out.replace(re, (m) => this.mask(m));
    }
    return out === text ? undefined : out;
  }

  private scalarText(v: AnyValue): string | undefined {
    if (v.stringValue !== undefined) return v.stringValue;
    if (!this.config.redact_all_types) return undefined;
    if (v.intValue !== undefined) return v.intValue.toString();
    if (v.doubleValue !== undefined) return String(v.doubleValue);
    if (v.boolValue !== undefined) return String(v.boolValue);
    return undefined;
  }

  /** Applies the rules to a map in place; `prefix` names nested keys (`a.b`) in body maps. */
  redactMap(kvs: KeyValue[], out: Outcome, prefix = '', recurse = false): void {
    let w = 0;
    for (let r = 0; r < kvs.length; r++) {
      const kv = kvs[r];
      const name = prefix + kv.key;
      if (this.ignored.has(kv.key) || this.ignoredKeys.some((matches) => matches(kv.key))) {
        out.ignored.push(name);
        kvs[w++] = kv;
        continue;
      }
      if (!this.config.allow_all_keys && !this.allowed.has(kv.key)) {
        out.redacted.push(name);
        continue;
      }
      kvs[w++] = kv;
      if (!kv.value) continue;
      if (this.blockedKeys.some((matches) => matches(kv.key))) {
        kv.value = { stringValue: this.mask(anyValueToString(kv.value)) };
        out.masked.push(name);
        continue;
      }
      if (recurse) this.redactNested(kv.value, name, out);
      else this.maskScalar(kv, name, out);
    }
    kvs.length = w;
  }

  private maskScalar(kv: KeyValue, name: string, out: Outcome): void {
    const text = this.scalarText(kv.value!);
    if (text === undefined) return;
    const masked = this.maskValue(text);
    if (masked !== undefined) {
      kv.value = { stringValue: masked };
      out.masked.push(name);
    }
  }

  private redactNested(v: AnyValue, name: string, out: Outcome): void {
    if (v.kvlistValue) this.redactMap(v.kvlistValue.values, out, `${name}.`, true);
    else if (v.arrayValue) v.arrayValue.values.forEach((item, i) => this.redactNested(item, `${name}[${i}]`, out));
    else {
      const holder: KeyValue = { key: name, value: v };
      this.maskScalar(holder, name, out);
      if (holder.value === v) return;
      // Replace in place: the caller holds this AnyValue inside a list.
      for (const k of Object.keys(v)) delete (v as Record<string, unknown>)[k];
      v.stringValue = holder.value!.stringValue;
    }
  }

  /** A log body: map bodies get the map rules recursively, scalar bodies the value rules. */
  redactBody(body: AnyValue, out: Outcome): AnyValue {
    if (body.kvlistValue) {
      this.redactMap(body.kvlistValue.values, out, '', true);
      return body;
    }
    if (body.arrayValue) {
      this.redactNested(body, 'body', out);
      return body;
    }
    const text = this.scalarText(body);
    const masked = text === undefined ? undefined : this.maskValue(text);
    if (masked === undefined) return body;
    out.masked.push('body');
    return { stringValue: masked };
  }
}
