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

  it('reads an undefined variable as an empty string and warns with its key path (the Collector\'s rule)', () => {
    const [p] = files('exporters:\n  otlphttp:\n    headers:\n      api-key: ${env:NR_KEY}\n      x-tenant: a-${env:TENANT}-b\n');
    const warnings: string[] = [];
    const cfg = readConfigFiles([p], {}, [], warnings);
    expect(cfg).toEqual({ exporters: { otlphttp: { headers: { 'api-key': '', 'x-tenant': 'a--b' } } } });
    expect(warnings).toEqual([
      'exporters.otlphttp.headers.api-key: environment variable NR_KEY is not set; using an empty string (write ${env:NR_KEY:-default} for a default)',
      'exporters.otlphttp.headers.x-tenant: environment variable TENANT is not set; using an empty string (write ${env:TENANT:-default} for a default)',
    ]);
  });

  it('expands ${file:PATH}: a whole value reads as YAML, inside a string without the final newline', () => {
    const [token, block, p] = files('s3cr3t\n', 'verbosity: detailed\n', '');
    writeFileSync(p!, `a: \${file:${token}}\nb: Bearer \${file:${token}}\nc: \${file:${block}}\n`);
    expect(readConfigFiles([p!], {})).toEqual({ a: 's3cr3t', b: 'Bearer s3cr3t', c: { verbosity: 'detailed' } });
    const [q] = files('a: ${file:/nonexistent/token}\n');
    expect(() => readConfigFiles([q!], {})).toThrowError(/a: \$\{file:\/nonexistent\/token\}: ENOENT/);
  });

  it('reads plain integers with _ separators as numbers, quoted ones as strings (Go yaml.v3)', () => {
    const [p] = files('a: 5_000\nb: "5_000"\nc: -1_000_000\nd: 42\ne: ${env:N}\n');
    expect(readConfigFiles([p!], { N: '2_500' })).toEqual({ a: 5000, b: '5_000', c: -1_000_000, d: 42, e: 2500 });
  });

  it('nests keys joined with :: in every source, and applies --set flags after every file', () => {
    const [p] = files('processors::batch::timeout: 1s\nprocessors:\n  batch:\n    send_batch_size: 10\n');
    expect(readConfigFiles([p!], {}, ['processors::batch::timeout=2s', 'service::extensions=[health_check]'])).toEqual({
      processors: { batch: { timeout: '2s', send_batch_size: 10 } },
      service: { extensions: ['health_check'] },
    });
  });

  it("splits --set keys on '.' as the Collector does (--set=processors.batch.timeout=2s), trimming key and value", () => {
    const [p] = files('processors:\n  batch:\n    timeout: 1s\n    send_batch_size: 10\nexporters:\n  debug: {}\n');
    expect(readConfigFiles([p!], {}, ['processors.batch.timeout=2s', ' exporters.debug.verbosity = detailed', 'processors.batch::send_batch_max_size=5_000'])).toEqual({
      processors: { batch: { timeout: '2s', send_batch_size: 10, send_batch_max_size: 5000 } },
      exporters: { debug: { verbosity: 'detailed' } },
    });
    expect(() => readConfigFiles([p!], {}, ['processors.batch.timeout'])).toThrowError(/expected KEY=VALUE/);
  });

  it('reads env: and yaml: config sources and refuses unknown providers', () => {
    expect(readConfigFiles(['env:CFG', 'yaml:a::b: 1'], { CFG: 'a: {c: 2}\n' })).toEqual({ a: { b: 1, c: 2 } });
    expect(() => readConfigFiles(['env:NOPE'], {})).toThrowError(/environment variable NOPE is not set/);
    expect(() => readConfigFiles(['http://example/c.yaml'], {})).toThrowError(/unknown config provider "http"/);
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
