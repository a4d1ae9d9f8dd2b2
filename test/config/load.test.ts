import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigFiles } from '../../src/config/load.js';
import { GatewayError } from '../../src/errors.js';

function files(...texts: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  return texts.map((t, i) => {
    const p = join(dir, `c${i}.yaml`);
    writeFileSync(p, t);
    return p;
  });
}

describe('config files and env expansion', () => {
  it('expands ${env:VAR}, ${VAR}, defaults and the $$ escape', () => {
    const [p] = files('a: ${env:HOST}:${PORT}\nb: ${env:MISSING:-fallback}\nc: cost $$5\nd: ${env:PORT}\ne: ${env:FLAG}\nf: "${env:SECRET}"\n');
    const cfg = readConfigFiles([p], { HOST: 'localhost', PORT: '4318', FLAG: 'true', SECRET: 'x: y' });
    expect(cfg).toEqual({ a: 'localhost:4318', b: 'fallback', c: 'cost $5', d: 4318, e: true, f: 'x: y' });
  });

  it('names the key path of an undefined variable', () => {
    const [p] = files('exporters:\n  otlphttp:\n    headers:\n      api-key: ${env:NR_KEY}\n');
    expect(() => readConfigFiles([p], {})).toThrowError(/exporters\.otlphttp\.headers\.api-key: environment variable NR_KEY is not set/);
  });

  it('merges several files in order: maps merge, later wins, lists are replaced', () => {
    const ps = files('a: {x: 1, y: 2}\nl: [1, 2]\n', 'a: {y: 3, z: 4}\nl: [9]\n');
    expect(readConfigFiles(ps, {})).toEqual({ a: { x: 1, y: 3, z: 4 }, l: [9] });
  });

  it('reports a missing file and broken YAML with the file name and line', () => {
    expect(() => readConfigFiles(['/nonexistent/x.yaml'], {})).toThrowError(/cannot read config file \/nonexistent\/x\.yaml: ENOENT/);
    const [p] = files('a: [1, 2\nb: 3\n');
    try {
      readConfigFiles([p], {});
      throw new Error('not refused');
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).code).toBe('CONFIG_FILE_UNREADABLE');
      expect((err as Error).message).toMatch(/c0\.yaml: not valid YAML \(line \d+, column \d+\)/);
    }
  });

  it('refuses duplicate keys in one file', () => {
    const [p] = files('a: 1\na: 2\n');
    expect(() => readConfigFiles([p], {})).toThrowError(/not valid YAML/);
  });
});
