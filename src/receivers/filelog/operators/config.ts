import { z } from 'zod';

/**
 * The pkg/stanza operators the `filelog` receiver runs on each entry, in order: `json_parser`,
 * `regex_parser`, `container`. Keys are stanza's; `output` and `if` (routing between operators) are
 * not supported and say so, so a config never silently runs differently than in the Collector.
 */

/** stanza's field syntax: `body`, `body.key`, `attributes.key`, `attributes["key.with.dots"]`, `resource.key`. */
export const fieldPath = () =>
  z.string().refine((v) => /^(body|attributes|resource)(\.[^.[\]"]+|\["[^"]+"\])*$/.test(v), {
    message: 'expected a field like body, body.key, attributes.key or attributes["key.with.dots"]',
  });

export const timestampSchema = z
  .strictObject({
    parse_from: fieldPath(),
    layout_type: z.enum(['strptime', 'gotime', 'epoch']).default('strptime'),
    layout: z.string().min(1).optional(),
    location: z.string().optional(),
  })
  .superRefine((t, ctx) => {
    if (t.layout === undefined) ctx.addIssue({ code: 'custom', path: ['layout'], message: 'required: the timestamp layout, e.g. "%Y-%m-%dT%H:%M:%S.%LZ" (strptime)' });
    if (t.layout_type === 'epoch' && t.layout !== undefined && !['s', 'ms', 'us', 'ns', 's.ms', 's.us', 's.ns'].includes(t.layout)) {
      ctx.addIssue({ code: 'custom', path: ['layout'], message: `expected one of s, ms, us, ns, s.ms, s.us, s.ns for layout_type epoch, got ${JSON.stringify(t.layout)}` });
    }
  })
  .optional();

export const severitySchema = z
  .strictObject({
    parse_from: fieldPath(),
    /** Severity name → the values that mean it (a string, a number, a list, or `{min, max}`). */
    mapping: z.record(z.string(), z.unknown()).optional(),
    preset: z.enum(['default', 'none']).default('default'),
  })
  .optional();

const common = {
  id: z.string().optional(),
  on_error: z.enum(['send', 'send_quiet', 'drop', 'drop_quiet']).default('send'),
  output: z.never({ error: 'routing between operators (output) is not supported: operators run in the order listed' }).optional(),
  if: z.never({ error: 'conditional operators (if) are not supported yet' }).optional(),
};

const parserCommon = {
  ...common,
  parse_from: fieldPath().default('body'),
  parse_to: fieldPath().default('attributes'),
  timestamp: timestampSchema,
  severity: severitySchema,
};

export const jsonParserSchema = z.strictObject({ type: z.literal('json_parser'), ...parserCommon });

export const regexParserSchema = z
  .strictObject({ type: z.literal('regex_parser'), ...parserCommon, regex: z.string().min(1), cache: z.unknown().optional() })
  .superRefine((o, ctx) => {
    try {
      const re = new RegExp(goRegex(o.regex));
      if (!/\(\?<[^>]+>/.test(re.source)) ctx.addIssue({ code: 'custom', path: ['regex'], message: 'expected at least one named group like (?P<name>...)' });
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['regex'], message: `not a valid regular expression ${JSON.stringify(o.regex)}: ${(err as Error).message}` });
    }
  });

export const containerSchema = z.strictObject({
  type: z.literal('container'),
  ...common,
  format: z.enum(['docker', 'crio', 'containerd']).optional(),
  add_metadata_from_filepath: z.boolean().default(true),
  parse_from: fieldPath().default('body'),
  max_log_size: z.union([z.number(), z.string()]).optional(),
});

/** stanza's standalone time_parser: the `timestamp` block as an operator of its own. */
export const timeParserSchema = z.strictObject({
  type: z.literal('time_parser'),
  ...common,
  parse_from: fieldPath().default('attributes.time'),
  layout_type: z.enum(['strptime', 'gotime', 'epoch']).default('strptime'),
  layout: z.string().min(1, 'required: the timestamp layout, e.g. "%Y-%m-%dT%H:%M:%S%z" (strptime)'),
  location: z.string().optional(),
});

/** stanza's standalone severity_parser: the `severity` block as an operator of its own. */
export const severityParserSchema = z.strictObject({
  type: z.literal('severity_parser'),
  ...common,
  parse_from: fieldPath().default('attributes.severity'),
  mapping: z.record(z.string(), z.unknown()).optional(),
  preset: z.enum(['default', 'none']).default('default'),
});

export const operatorSchema = z.discriminatedUnion('type', [jsonParserSchema, regexParserSchema, containerSchema, timeParserSchema, severityParserSchema], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? 'unsupported operator type: expected json_parser, regex_parser, container, time_parser or severity_parser (see docs/log-inputs.md)'
      : undefined,
});

export const operatorsSchema = z.array(operatorSchema).default([]);

export type OperatorConfig = z.output<typeof operatorSchema>;
export type TimestampConfig = NonNullable<z.output<typeof timestampSchema>>;
export type SeverityConfig = NonNullable<z.output<typeof severitySchema>>;

/** Go's RE2 named groups `(?P<name>...)` in the JavaScript spelling `(?<name>...)`. */
export function goRegex(source: string): string {
  return source.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>');
}
