import { z } from 'zod';
import { compileGoRegex } from '../../ottl/regex.js';

/**
 * The Collector's redaction processor keys (processor/redactionprocessor). Key allow-listing is
 * fail-closed: with `allow_all_keys: false` and no `allowed_keys`, every attribute is removed.
 * Not supported: url_sanitizer, db_sanitizer, hmac hashing.
 */

const regexList = z.array(z.string()).default([]);

/** A contrib key this build does not honour yet: refused with a line pointing at docs/compatibility.md. */
const notYet = (what: string) =>
  z
    .unknown()
    .optional()
    .superRefine((v, ctx) => {
      if (v === undefined || (typeof v === 'object' && v !== null && (v as { enabled?: unknown }).enabled === false)) return;
      ctx.addIssue({ code: 'custom', message: `${what} is not supported yet (see docs/compatibility.md)` });
    });

export const redactionConfigSchema = z
  .strictObject({
    allow_all_keys: z.boolean().default(false),
    allowed_keys: z.array(z.string()).default([]),
    ignored_keys: z.array(z.string()).default([]),
    /** Regexes: a key matching one passes untouched, as if listed in `ignored_keys`. */
    ignored_key_patterns: regexList,
    blocked_values: regexList,
    allowed_values: regexList,
    blocked_key_patterns: regexList,
    redact_all_types: z.boolean().default(false),
    // The Collector's default (empty) hashes nothing: matches are masked with a fixed string.
    hash_function: z.enum(['', 'none', 'md5', 'sha1', 'sha3']).default(''),
    // The Collector's default (empty) adds no summary attributes, like `silent`.
    summary: z.enum(['', 'debug', 'info', 'silent']).default(''),
    // Named so a Collector config gets a line saying what is missing, not "unknown key".
    url_sanitizer: notYet('url_sanitizer (URL path sanitization)'),
    db_sanitizer: notYet('db_sanitizer (database query sanitization)'),
  })
  .superRefine((c, ctx) => {
    for (const key of ['blocked_values', 'allowed_values', 'blocked_key_patterns', 'ignored_key_patterns'] as const) {
      if (!Array.isArray(c[key])) continue;
      c[key].forEach((pattern, i) => {
        if (typeof pattern !== 'string') return;
        try {
          compileGoRegex(pattern);
        } catch (err) {
          ctx.addIssue({ code: 'custom', path: [key, i], message: `invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}` });
        }
      });
    }
  });

export type RedactionConfig = z.output<typeof redactionConfigSchema>;
