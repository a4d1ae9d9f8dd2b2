import { z } from 'zod';
import { errorModeSchema, type ErrorMode } from '../../ottl/error-mode.js';
import { collectConfigErrors, compileConditions, OttlConfigError, OttlParseError, type ContextKind, type Predicate } from '../../ottl/index.js';

/**
 * The contrib routing connector's keys (connector/routingconnector): a `table` of routes, each an
 * OTTL `condition` (or a `route() where ...` `statement`) and the `pipelines` that get what it
 * matches; `default_pipelines` for what matches no route; `error_mode`. Routes are tried in order.
 * `context` is `resource` (the default: a whole ResourceLogs goes one way), `log` (each record
 * on its own) or `request` (the whole request by its client's metadata, contrib's limited grammar:
 * `request["key"] == "value"` or `!=`, as a `condition` only). `match_once` (deprecated upstream,
 * where first-match became the only behaviour) is accepted: `false` still sends a resource to every
 * route that matches, as it used to.
 */

/** contrib's default: a condition that fails to evaluate refuses the request. */
const DEFAULT_ERROR_MODE: ErrorMode = 'propagate';

/** The only statement the connector takes: `route()`, optionally with a `where` clause. */
const ROUTE_STATEMENT = /^\s*route\(\s*\)\s*(?:where\s+([\s\S]+))?$/;

const routeSchema = z.strictObject({
  statement: z.string().optional(),
  condition: z.string().optional(),
  context: z.string().default('resource'),
  pipelines: z.array(z.string()).default([]),
});

export const routingConfigSchema = z
  .strictObject({
    table: z.array(routeSchema).default([]),
    default_pipelines: z.array(z.string()).default([]),
    error_mode: errorModeSchema.default(DEFAULT_ERROR_MODE),
    match_once: z.boolean().default(true),
  })
  .superRefine((c, ctx) => {
    if (c.table.length === 0) ctx.addIssue({ code: 'custom', path: ['table'], message: 'invalid routing table: the routing table is empty' });
    c.table.forEach((r, i) => {
      const issue = (message: string, key?: string) => ctx.addIssue({ code: 'custom', path: key ? ['table', i, key] : ['table', i], message });
      if (r.statement !== undefined && r.condition !== undefined) issue('invalid route: both condition and statement provided');
      else if (r.statement === undefined && r.condition === undefined) issue('invalid route: no condition or statement provided');
      if (r.pipelines.length === 0) issue('invalid route: no pipelines defined', 'pipelines');
      if (r.context !== 'resource' && r.context !== 'log' && r.context !== 'request') {
        issue(`expected "resource", "log" or "request" for a logs pipeline, got ${JSON.stringify(r.context)}`, 'context');
      }
    });
    if (c.table.some((r) => (r.statement === undefined) === (r.condition === undefined))) return;
    try {
      compileRoutes(c);
    } catch (err) {
      if (!(err instanceof OttlConfigError)) throw err;
      for (const e of err.all) ctx.addIssue({ code: 'custom', path: e.path, message: e.parseError.message });
    }
  });

export type RoutingConfig = z.output<typeof routingConfigSchema>;

/** A `request` route's test of the request's client metadata (keys lower-cased, as received). */
export interface RequestCondition {
  readonly key: string;
  readonly equals: boolean;
  readonly value: string;
}

export type CompiledRoute =
  | { readonly kind: ContextKind; readonly predicate: Predicate; readonly source: string; readonly pipelines: readonly string[] }
  | { readonly kind: 'request'; readonly request: RequestCondition; readonly source: string; readonly pipelines: readonly string[] };

const REQUEST_CONDITION = /^\s*request\[\s*"((?:[^"\\]|\\.)*)"\s*\]\s*(==|!=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

/** A `request` route: contrib's limited grammar, as a condition only; anything else fails like a bad OTTL condition. */
function requestRoute(source: string, isStatement: boolean, path: (string | number)[], pipelines: readonly string[]): CompiledRoute {
  if (isStatement) throw new OttlConfigError(path, new OttlParseError('the request context takes a condition, not a statement (as the contrib connector)', 1, source));
  const m = REQUEST_CONDITION.exec(source);
  if (!m) throw new OttlConfigError(path, new OttlParseError('the request context takes only request["key"] == "value" or request["key"] != "value"', 1, source));
  const unescape = (s: string) => s.replace(/\\(.)/g, '$1');
  return { kind: 'request', request: { key: unescape(m[1]!).toLowerCase(), equals: m[2] === '==', value: unescape(m[3]!) }, source, pipelines };
}

/** The condition a route's `statement` stands for. */
function conditionOfStatement(statement: string, path: (string | number)[]): string {
  const m = ROUTE_STATEMENT.exec(statement);
  if (!m) throw new OttlConfigError(path, new OttlParseError(`expected a route() statement like 'route() where resource.attributes["tenant"] == "acme"'`, 1, statement));
  return m[1]?.trim() || 'true';
}

/** Each route's condition compiled in its context (resource unless the route says log). */
export function compileRoutes(c: RoutingConfig): CompiledRoute[] {
  return collectConfigErrors(c.table.map((r, i) => (): CompiledRoute => {
    const path = ['table', i, r.statement !== undefined ? 'statement' : 'condition'];
    if (r.context === 'request') return requestRoute(r.statement ?? r.condition ?? '', r.statement !== undefined, path, r.pipelines);
    const source = r.statement !== undefined ? conditionOfStatement(r.statement, path) : (r.condition ?? 'false');
    const kind: ContextKind = r.context === 'log' ? 'log' : 'resource';
    const [compiled] = compileConditions([{ source, path }], kind);
    return { kind, predicate: compiled!.predicate, source, pipelines: r.pipelines };
  }));
}
