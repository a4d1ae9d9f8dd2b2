import { describe, expect, it } from 'vitest';
import type { KeyValue } from '../../../src/pdata/model.js';
import { redactionConfigSchema } from '../../../src/processors/redaction/config.js';
import { Redactor, type Outcome } from '../../../src/processors/redaction/redactor.js';
import { corpus } from '../../pdata/corpus.js';

const CONFIGS = [
  { allowed_keys: ['n', 'x', 'dup', 'http', 'list', 'service.name', 'k3', 'api_token', 'big'], ignored_keys: ['safe'], ignored_key_patterns: ['^ign'], blocked_key_patterns: ['token', '.*secret.*'], blocked_values: ['[0-9]{3}', 'z'], summary: 'debug' },
  { allow_all_keys: true, blocked_key_patterns: ['.*token.*', '.*api_key.*'], blocked_values: ['[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}', 'Bearer [A-Za-z0-9._~+/-]+=*'], redact_all_types: true },
].map((c) => redactionConfigSchema.parse(c));

/** Every attribute map of the corpus plus maps with many distinct keys (more than the verdict table holds). */
function maps(): KeyValue[][] {
  const out: KeyValue[][] = [];
  for (const { logs } of corpus()) {
    for (const rl of logs.resourceLogs) {
      if (rl.resource) out.push(rl.resource.attributes);
      for (const sl of rl.scopeLogs) for (const r of sl.logRecords) out.push(r.attributes);
    }
  }
  const kinds = ['safe', 'ign.x', 'my_token', 'a_secret_b', 'n', 'other', 'api_key'];
  for (let m = 0; m < 12; m++) {
    out.push(Array.from({ length: 600 }, (_, i) => ({ key: `${kinds[i % kinds.length]}-${m}-${i}`, value: { stringValue: `v ${i} 1234 user${i}@example.com z` } })));
    out.push(kinds.map((key) => ({ key, value: { stringValue: 'Bearer abc.def== and 987' } })));
  }
  return out;
}

function outcome(): Outcome {
  return { redacted: [], masked: [], ignored: [] };
}

describe('redaction key verdicts remembered across maps', () => {
  for (const [i, config] of CONFIGS.entries()) {
    it(`give the same maps and outcomes as a redactor that has seen nothing: config ${i}`, () => {
      const warm = new Redactor(config);
      for (const map of maps()) {
        const a = structuredClone(map);
        const b = structuredClone(map);
        const outA = outcome();
        const outB = outcome();
        warm.redactMap(a, outA);
        new Redactor(config).redactMap(b, outB);
        expect(a).toEqual(b);
        expect(outA).toEqual(outB);
      }
    });
  }
});
