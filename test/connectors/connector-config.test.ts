import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/registry.js';
import { validationErrors } from './harness.js';

/** The Collector's connector rules (service graph and otelcol config validation), as validate reports them. */
const errorsOf = (yaml: string) => validationErrors(yaml, defaultRegistry);

const BASE = `
receivers: { otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } } }
exporters: { debug: {}, debug/b: {} }
`;

describe('connector configuration', () => {
  it('accepts a routing table in the contrib form, with match_once and statements', () => {
    expect(
      errorsOf(`${BASE}
connectors:
  routing:
    default_pipelines: [logs/b]
    error_mode: ignore
    match_once: true
    table:
      - statement: route() where resource.attributes["tenant"] == "acme"
        pipelines: [logs/a]
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [routing] }
    logs/a: { receivers: [routing], exporters: [debug] }
    logs/b: { receivers: [routing], exporters: [debug/b] }
`),
    ).toEqual([]);
  });

  it('refuses a connector used as exporter but never as receiver, and the other way round', () => {
    const errors = errorsOf(`${BASE}
connectors: { forward: , forward/2: }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [forward] }
    logs/b: { receivers: [forward/2], exporters: [debug] }
`);
    expect(errors).toContain('connectors.forward: connector "forward" used as exporter in [logs] pipeline but not used in any supported receiver pipeline');
    expect(errors).toContain('connectors.forward/2: connector "forward/2" used as receiver in [logs/b] pipeline but not used in any supported exporter pipeline');
  });

  it('refuses an id that names both an exporter and a connector', () => {
    const errors = errorsOf(`
receivers: { otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } } }
exporters: { forward: {}, debug: {} }
connectors: { forward: }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [debug] }
`);
    expect(errors.join('\n')).toMatch(/connectors\.forward: ambiguous ID/);
  });

  it('refuses pipelines that feed back into themselves through connectors', () => {
    const errors = errorsOf(`${BASE}
connectors: { forward/1: , forward/2: }
service:
  pipelines:
    logs/a: { receivers: [otlp, forward/2], exporters: [forward/1] }
    logs/b: { receivers: [forward/1], exporters: [forward/2, debug] }
`);
    expect(errors.join('\n')).toContain('cycle detected: logs/a -> forward/1 -> logs/b -> forward/2 -> logs/a');
  });

  it("checks every pipeline the routing table names receives from the connector, and the table's own rules", () => {
    const errors = errorsOf(`${BASE}
connectors:
  routing:
    default_pipelines: [logs/nowhere]
    table:
      - condition: attributes["x"] == "1"
        pipelines: [logs/b]
      - condition: attributes["x"] == "2"
        statement: route()
        pipelines: [logs/a]
      - pipelines: []
        context: request
        condition: request["X-Tenant"] == "acme"
      - condition: attributes["x"] ==
        pipelines: [logs/a]
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [routing] }
    logs/a: { receivers: [routing], exporters: [debug] }
    logs/b: { receivers: [otlp], exporters: [debug/b] }
`);
    expect(errors).toContain('connectors.routing.table[1]: invalid route: both condition and statement provided');
    expect(errors).toContain('connectors.routing.table[2].pipelines: invalid route: no pipelines defined');
    expect(errors.join('\n')).not.toContain('table[2].context');
    const request = errorsOf(`${BASE}
connectors:
  routing:
    table:
      - context: request
        statement: route() where request["X-Tenant"] == "acme"
        pipelines: [logs/a]
      - context: request
        condition: request["X-Tenant"] == "acme" and request["X-Env"] == "prod"
        pipelines: [logs/a]
      - context: span
        condition: attributes["x"] == "1"
        pipelines: [logs/a]
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [routing] }
    logs/a: { receivers: [routing], exporters: [debug] }
`);
    expect(request.join('\n')).toContain('connectors.routing.table[0].statement: the request context takes a condition, not a statement (as the contrib connector) at column 1 in \'route() where request["X-Tenant"] == "acme"\'');
    expect(request.join('\n')).toContain('connectors.routing.table[1].condition: the request context takes only request["key"] == "value" or request["key"] != "value" at column 1 in \'request["X-Tenant"] == "acme" and request["X-Env"] == "prod"\'');
    expect(request).toContain('connectors.routing.table[2].context: expected "resource", "log" or "request" for a logs pipeline, got "span"');
    const routes = errorsOf(`${BASE}
connectors:
  routing:
    default_pipelines: [logs/nowhere]
    table:
      - condition: attributes["x"] == "1"
        pipelines: [logs/b]
      - condition: attributes["x"] ==
        pipelines: [logs/a]
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [routing] }
    logs/a: { receivers: [routing], exporters: [debug] }
    logs/b: { receivers: [otlp], exporters: [debug/b] }
`);
    expect(routes.join('\n')).toMatch(/connectors\.routing\.table\[1\]\.condition: /);
  });

  it('names pipelines a valid table points at that do not receive from the connector', () => {
    const errors = errorsOf(`${BASE}
connectors:
  routing:
    default_pipelines: [logs/nowhere]
    table:
      - condition: attributes["x"] == "1"
        pipelines: [logs/b]
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [routing] }
    logs/a: { receivers: [routing], exporters: [debug] }
    logs/b: { receivers: [otlp], exporters: [debug/b] }
`);
    expect(errors).toContain('connectors.routing.table[0].pipelines[0]: pipeline "logs/b" does not list connector "routing" under its receivers');
    expect(errors).toContain('connectors.routing.default_pipelines[0]: pipeline "logs/nowhere" is not defined under service.pipelines');
  });

  it('refuses an empty routing table and a Collector connector this build does not ship, pointing at docs/compatibility.md', () => {
    const errors = errorsOf(`${BASE}
connectors: { routing: { table: [] }, spanmetrics: {} }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [debug] }
`);
    expect(errors).toContain('connectors.routing.table: invalid routing table: the routing table is empty');
    expect(errors).toContain("connectors.spanmetrics: the Collector's spanmetrics connector is not supported by make-otel-gateway (see docs/compatibility.md for what to use instead)");
  });
});
