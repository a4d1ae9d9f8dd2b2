import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import type { Logger } from '../../src/telemetry/logger.js';
import { connectorService, request } from './harness.js';

const TENANTS = `
receivers: { src: {} }
exporters: { sink/acme: {}, sink/globex: {}, sink/other: {} }
connectors:
  routing:
    default_pipelines: [logs/other]
    table:
      - condition: resource.attributes["make.organization.id"] == "acme"
        pipelines: [logs/acme]
      - statement: route() where attributes["make.organization.id"] == "globex"
        pipelines: [logs/globex]
service:
  pipelines:
    logs/in: { receivers: [src], exporters: [routing] }
    logs/acme: { receivers: [routing], exporters: [sink/acme] }
    logs/globex: { receivers: [routing], exporters: [sink/globex] }
    logs/other: { receivers: [routing], exporters: [sink/other] }
`;

function capturingLogger(lines: string[]): Logger {
  const l: Logger = {
    debug() {},
    info() {},
    warn: (msg, attrs) => lines.push(`${msg} ${JSON.stringify(attrs ?? {})}`),
    error: (msg) => lines.push(msg),
    child: () => l,
  };
  return l;
}

const BY_REQUEST = `
receivers: { src: {} }
exporters: { sink/acme: {}, sink/ecorp: {}, sink/errors: {}, sink/other: {} }
connectors:
  routing:
    default_pipelines: [logs/other]
    table:
      - context: log
        condition: body == "error"
        pipelines: [logs/errors]
      - context: request
        condition: request["X-Tenant"] == "acme"
        pipelines: [logs/acme]
      - context: request
        condition: request["x-tenant"] != "acme"
        pipelines: [logs/ecorp]
service:
  pipelines:
    logs/in: { receivers: [src], exporters: [routing] }
    logs/acme: { receivers: [routing], exporters: [sink/acme] }
    logs/ecorp: { receivers: [routing], exporters: [sink/ecorp] }
    logs/errors: { receivers: [routing], exporters: [sink/errors] }
    logs/other: { receivers: [routing], exporters: [sink/other] }
`;

const fromTenant = (tenant: string | undefined, bodies: string[]) => {
  const logs = request({ t: bodies });
  if (tenant !== undefined) logs.client = { metadata: new Map([['x-tenant', [tenant]]]) };
  return logs;
};

describe('routing connector', () => {
  it('routes whole requests by the client metadata (context: request, == and !=, keys case-insensitive) after the routes before them in the table', async () => {
    const g = await connectorService(BY_REQUEST);
    await g.inputs.get('src')!.consume(fromTenant('acme', ['a1', 'error', 'a2']));
    await g.inputs.get('src')!.consume(fromTenant('ecorp', ['e1']));
    await g.inputs.get('src')!.consume(fromTenant(undefined, ['n1']));
    expect(g.bodies('sink/acme')).toEqual(['a1', 'a2']);
    expect(g.bodies('sink/errors')).toEqual(['error']);
    // != holds for a client that did not send the key at all, as for another tenant.
    expect(g.bodies('sink/ecorp')).toEqual(['e1', 'n1']);
    expect(g.bodies('sink/other')).toEqual([]);
    // A part split off a request still knows its client (from_context further down reads it).
    expect(g.received.get('sink/acme')![0]!.client?.metadata?.get('x-tenant')).toEqual(['acme']);
    await g.service.shutdown();
  });

  it("sends each organization's records to its own pipeline and the rest to default_pipelines", async () => {
    const g = await connectorService(TENANTS);
    await g.inputs.get('src')!.consume(request({ acme: ['a1', 'a2'], globex: ['g1'], initech: ['i1'] }));
    expect(g.bodies('sink/acme')).toEqual(['a1', 'a2']);
    expect(g.bodies('sink/globex')).toEqual(['g1']);
    expect(g.bodies('sink/other')).toEqual(['i1']);
    await g.service.shutdown();
  });

  it('hands a request that goes one way on as it came (no copy, the wire bytes stay usable)', async () => {
    const g = await connectorService(TENANTS);
    const req = request({ acme: ['a1'] });
    await g.inputs.get('src')!.consume(req);
    expect(g.received.get('sink/acme')![0]).toBe(req);
    await g.service.shutdown();
  });

  it('acknowledges only when every pipeline a request was split into has accepted its part', async () => {
    const g = await connectorService(TENANTS);
    let release!: () => void;
    g.holds.set('sink/globex', new Promise<void>((r) => (release = r)));
    let acked = false;
    const done = g.inputs.get('src')!.consume(request({ acme: ['a1'], globex: ['g1'] })).then(() => (acked = true));
    await new Promise((r) => setImmediate(r));
    expect(g.bodies('sink/acme')).toEqual(['a1']);
    expect(acked).toBe(false);
    release();
    await done;
    expect(acked).toBe(true);
    expect(g.bodies('sink/globex')).toEqual(['g1']);
    await g.service.shutdown();
  });

  it('counts and logs records that match no route when there is no default pipeline, and passes nothing on', async () => {
    const lines: string[] = [];
    const yaml = TENANTS.replace('default_pipelines: [logs/other]', '').replace(/    logs\/other:.*\n/, '').replace(', sink/other: {}', '');
    const g = await connectorService(yaml, capturingLogger(lines));
    await g.inputs.get('src')!.consume(request({ initech: ['i1', 'i2'], acme: ['a1'] }));
    await g.inputs.get('src')!.consume(request({ initech: ['i3'] }));
    expect(g.bodies('sink/acme')).toEqual(['a1']);
    const metrics = await g.telemetry.registry.metrics();
    expect(metrics).toContain('gateway_connector_unrouted_log_records_total{connector="routing"} 3');
    // Rate-limited: two requests without a route, one line.
    expect(lines.filter((l) => l.includes('matched no route'))).toHaveLength(1);
    await g.service.shutdown();
  });

  it('routes record by record in the log context, keeping each part under its resource', async () => {
    const g = await connectorService(`
receivers: { src: {} }
exporters: { sink/errors: {}, sink/rest: {} }
connectors:
  routing:
    default_pipelines: [logs/rest]
    table:
      - context: log
        condition: severity_text == "ERROR"
        pipelines: [logs/errors]
service:
  pipelines:
    logs/in: { receivers: [src], exporters: [routing] }
    logs/errors: { receivers: [routing], exporters: [sink/errors] }
    logs/rest: { receivers: [routing], exporters: [sink/rest] }
`);
    await g.inputs.get('src')!.consume(request({ acme: ['ok1', 'err1', 'ok2'], globex: ['err2'] }));
    expect(g.bodies('sink/errors')).toEqual(['err1', 'err2']);
    expect(g.bodies('sink/rest')).toEqual(['ok1', 'ok2']);
    const errorsPart = g.received.get('sink/errors')![0]!;
    expect(errorsPart.resourceLogs.map((rl) => rl.resource!.attributes[0]!.value!.stringValue)).toEqual(['acme', 'globex']);
    await g.service.shutdown();
  });

  it('gives each pipeline that changes records its own copy, so one tenant\'s processors never touch another\'s data', async () => {
    const g = await connectorService(`
receivers: { src: {} }
processors: { tag/a: { value: a }, tag/b: { value: b } }
exporters: { sink/a: {}, sink/b: {}, sink/raw: {} }
connectors:
  routing:
    match_once: false
    table:
      - condition: attributes["make.organization.id"] != nil
        pipelines: [logs/a]
      - condition: attributes["make.organization.id"] == "acme"
        pipelines: [logs/b]
service:
  pipelines:
    logs/in: { receivers: [src], exporters: [routing, sink/raw] }
    logs/a: { receivers: [routing], processors: [tag/a], exporters: [sink/a] }
    logs/b: { receivers: [routing], processors: [tag/b], exporters: [sink/b] }
`);
    await g.inputs.get('src')!.consume(request({ acme: ['x'] }));
    const tags = (sink: string) => g.received.get(sink)![0]!.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.attributes.map((a) => a.value?.stringValue);
    // match_once: false sends the resource down both routes.
    expect(tags('sink/a')).toEqual(['a']);
    expect(tags('sink/b')).toEqual(['b']);
    expect(tags('sink/raw')).toEqual([]);
    await g.service.shutdown();
  });

  it('refuses the request with error_mode propagate when a condition cannot be evaluated, and routes on with ignore', async () => {
    const table = (mode: string) => `
receivers: { src: {} }
exporters: { sink/x: {}, sink/d: {} }
connectors:
  routing:
    error_mode: ${mode}
    default_pipelines: [logs/d]
    table:
      - context: log
        condition: Substring(body, 10, 20) == "x"
        pipelines: [logs/x]
service:
  pipelines:
    logs/in: { receivers: [src], exporters: [routing] }
    logs/x: { receivers: [routing], exporters: [sink/x] }
    logs/d: { receivers: [routing], exporters: [sink/d] }
`;
    const strict = await connectorService(table('propagate'));
    await expect(strict.inputs.get('src')!.consume(request({ acme: ['short'] }))).rejects.toBeInstanceOf(PermanentError);
    expect(strict.bodies('sink/d')).toEqual([]);
    await strict.service.shutdown();
    const lenient = await connectorService(table('ignore'));
    await lenient.inputs.get('src')!.consume(request({ acme: ['short'] }));
    expect(lenient.bodies('sink/d')).toEqual(['short']);
    await lenient.service.shutdown();
  });
});

describe('forward connector', () => {
  it('joins two receiving pipelines into one exporting pipeline, acknowledging after it accepted', async () => {
    const g = await connectorService(`
receivers: { src/a: {}, src/b: {} }
processors: { tag/a: { value: a } }
exporters: { sink: {} }
connectors: { forward: }
service:
  pipelines:
    logs/a: { receivers: [src/a], processors: [tag/a], exporters: [forward] }
    logs/b: { receivers: [src/b], exporters: [forward] }
    logs/out: { receivers: [forward], exporters: [sink] }
`);
    await g.inputs.get('src/a')!.consume(request({ acme: ['from-a'] }));
    await g.inputs.get('src/b')!.consume(request({ acme: ['from-b'] }));
    expect(g.bodies('sink')).toEqual(['from-a', 'from-b']);
    await g.service.shutdown();
  });
});
