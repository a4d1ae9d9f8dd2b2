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

/** What the key rules decide for a key, before its value is looked at. */
const IGNORE = 0, REMOVE = 1, MASK_ALL = 2, CHECK_VALUE = 3;
type KeyVerdict = typeof IGNORE | typeof REMOVE | typeof MASK_ALL | typeof CHECK_VALUE;
/**
 * Keys whose verdict is remembered. Records carry the same few keys over and over; the key rules
 * (two sets and up to three pattern lists) were most of the processor's time per attribute
 * (BENCHMARKS.md, issue 23). The table is emptied when full, so a flood of distinct keys costs
 * what it cost before and holds no more memory than this.
 */
const MAX_CACHED_VERDICTS = 4096;

export class Redactor {
  private readonly verdicts = new Map<string, KeyVerdict>();
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

  /** The key rules' verdict for a key, in the order they apply. */
  private verdictOf(key: string): KeyVerdict {
    let verdict = this.verdicts.get(key);
    if (verdict !== undefined) return verdict;
    if (this.ignored.has(key) || this.ignoredKeys.some((matches) => matches(key))) verdict = IGNORE;
    else if (!this.config.allow_all_keys && !this.allowed.has(key)) verdict = REMOVE;
    else if (this.blockedKeys.some((matches) => matches(key))) verdict = MASK_ALL;
    else verdict = CHECK_VALUE;
    if (this.verdicts.size >= MAX_CACHED_VERDICTS) this.verdicts.clear();
    this.verdicts.set(key, verdict);
    return verdict;
  }

  /** Applies the rules to a map in place; `prefix` names nested keys (`a.b`) in body maps. */
  redactMap(kvs: KeyValue[], out: Outcome, prefix = '', recurse = false): void {
    let w = 0;
    for (let r = 0; r < kvs.length; r++) {
      const kv = kvs[r];
      const verdict = this.verdictOf(kv.key);
      if (verdict === IGNORE) {
        out.ignored.push(prefix + kv.key);
        kvs[w++] = kv;
        continue;
      }
      if (verdict === REMOVE) {
        out.redacted.push(prefix + kv.key);
        continue;
      }
      kvs[w++] = kv;
      if (!kv.value) continue;
      if (verdict === MASK_ALL) {
        kv.value = { stringValue: this.mask(anyValueToString(kv.value)) };
        out.masked.push(prefix + kv.key);
        continue;
      }
      if (recurse) this.redactNested(kv.value, prefix + kv.key, out);
      else if (kv.value.stringValue !== undefined || this.config.redact_all_types) this.maskScalar(kv, prefix + kv.key, out);
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
