import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { countLogRecords, newLogRecord, type Logs } from '../../src/pdata/model.js';
import { LazyLogs } from '../../src/pdata/lazy-logs.js';
import { encodeLogs } from '../../src/pdata/proto.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Relative modules a file loads at run time (`import type` and `import { type … }`-only lines excluded). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)([^;]*?)\s+from\s+'(\.[^']+)'/gms)) {
    const names = m[1].replace(/[{}]/g, '').split(',').map((n) => n.trim()).filter(Boolean);
    if (names.length > 0 && names.every((n) => n.startsWith('type '))) continue;
    out.push(resolve(dirname(file), m[2].replace(/\.js$/, '.ts')));
  }
  for (const m of text.matchAll(/^import\s+'(\.[^']+)'/gm)) out.push(resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
  return out;
}

function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...runtimeImports(f));
  }
  return seen;
}

describe('pdata/model.ts', () => {
  it('loads no protobuf codec (nor anything else) at run time', () => {
    const loaded = [...closure(resolve(SRC, 'pdata/model.ts'))].map((f) => f.slice(SRC.length));
    expect(loaded).toEqual(['pdata/model.ts']);
  });

  it('still counts an unread LazyLogs from its wire walk, without decoding it', () => {
    const logs: Logs = { resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord(), newLogRecord()] }] }] };
    const lazy = new LazyLogs(encodeLogs(logs), 2);
    expect(countLogRecords(lazy)).toBe(2);
    expect(lazy.pristine).toBe(true);
    lazy.resourceLogs[0].scopeLogs[0].logRecords.pop();
    expect(countLogRecords(lazy)).toBe(1);
  });
});
