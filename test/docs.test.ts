import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCollectorYaml } from '../src/config/yaml.js';
import { ErrorCodes } from '../src/errors.js';
import { Telemetry } from '../src/telemetry/telemetry.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('the README stays in step with the code', () => {
  it('documents every error code', () => {
    for (const code of Object.keys(ErrorCodes)) expect(readme, code).toContain(`\`${code}\``);
  });

  it('documents every metric the gateway registers', async () => {
    const t = new Telemetry({ processMetrics: false });
    const names = (await t.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) expect(readme, name).toContain(name);
  });

  it('documents the scheduled-export metrics', async () => {
    const { Registry } = await import('prom-client');
    const { ScheduleMetrics } = await import('../src/export/schedule-metrics.js');
    const registry = new Registry();
    new ScheduleMetrics(registry);
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toHaveLength(3);
    for (const name of names) expect(readme, name).toContain(name);
  });

  it('gives the two set-up commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});

describe('the YAML in the README and docs/', () => {
  // A reader copies these blocks: each must at least parse as the gateway parses a config (an
  // unquoted ${env:X} inside a { flow map } does not, in the Collector either).
  it('parses, block by block', () => {
    const files = ['README.md', ...readdirSync(new URL('../docs', import.meta.url)).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    let blocks = 0;
    for (const file of files) {
      const text = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
      for (const m of text.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
        blocks++;
        const line = text.slice(0, m.index).split('\n').length;
        expect(() => parseCollectorYaml(m[1]!), `${file}, the block at line ${line}`).not.toThrow();
      }
    }
    expect(blocks).toBeGreaterThan(30);
  });
});
