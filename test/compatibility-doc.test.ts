import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UNSUPPORTED_COLLECTOR_COMPONENTS } from '../src/config/collector-components.js';
import { parseConfigText } from '../src/config/load.js';
import { validateConfig } from '../src/config/validate.js';
import { ConfigError } from '../src/errors.js';
import { KINDS } from '../src/pipeline/registry.js';
import { defaultRegistry, factories } from '../src/registry.js';

const doc = readFileSync(new URL('../docs/compatibility.md', import.meta.url), 'utf8');

describe('docs/compatibility.md, the Collector component table', () => {
  it('lists every component type the build ships as supported, and every refused Collector type', () => {
    for (const f of factories) expect(doc, f.type).toContain(`| ${f.kind} | \`${f.type}\` |`);
    for (const kind of KINDS) {
      for (const type of UNSUPPORTED_COLLECTOR_COMPONENTS[kind]) {
        if (defaultRegistry.get(kind, type)) continue;
        expect(doc, `${kind} ${type}`).toContain(`| ${kind} | \`${type}\` |`);
      }
    }
  });

  it('refuses a Collector component the build does not ship with one line naming it and pointing at the table', () => {
    const yaml = `
receivers: { jaeger: { protocols: { grpc: } }, otlp: { protocols: { http: } } }
processors: { k8sattributes: {} }
exporters: { kafka: { brokers: [localhost:9092] }, debug: {} }
service: { pipelines: { logs: { receivers: [otlp], processors: [k8sattributes], exporters: [kafka] } } }
`;
    let issues: readonly string[] = [];
    try {
      validateConfig(parseConfigText(yaml, 'c.yaml'), defaultRegistry);
    } catch (err) {
      issues = (err as ConfigError).issues;
    }
    for (const [kind, type] of [['receiver', 'jaeger'], ['processor', 'k8sattributes'], ['exporter', 'kafka']]) {
      expect(issues).toContain(`${kind}s.${type}: the Collector's ${type} ${kind} is not supported by make-otel-gateway (see docs/compatibility.md for what to use instead)`);
    }
  });
});
