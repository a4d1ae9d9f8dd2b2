import { z } from 'zod';
import { isContextName } from '../../pdata/client-info.js';

/**
 * The `actions` list shared by the attributes and resource processors, with the Collector's keys
 * (contrib internal/coreinternal/attraction). Values keep their YAML type: an integer becomes an
 * OTLP int, a fraction a double, true/false a bool, text a string, lists and maps array/kvlist.
 */
export const ACTION_NAMES = ['insert', 'update', 'upsert', 'delete', 'hash', 'extract', 'convert'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];
export const CONVERTED_TYPES = ['int', 'double', 'string'] as const;

export const actionSchema = z.strictObject({
  key: z.string().optional(),
  value: z.unknown().optional(),
  from_attribute: z.string().optional(),
  from_context: z.string().optional(),
  /** Used when value/from_attribute finds nothing (newer Collector key). */
  default_value: z.unknown().optional(),
  pattern: z.string().optional(),
  converted_type: z.string().optional(),
  action: z.string(),
});

export type ActionConfig = z.output<typeof actionSchema>;

export interface CompiledAction {
  action: ActionName;
  key?: string;
  value?: unknown;
  fromAttribute?: string;
  /** `metadata.<key>` or `client.address` (src/pdata/client-info.ts). */
  fromContext?: string;
  defaultValue?: unknown;
  regex?: RegExp;
  /** extract: the named groups of `regex`, in order. */
  groupNames?: string[];
  convertedType?: (typeof CONVERTED_TYPES)[number];
}

const has = (v: unknown) => v !== undefined && v !== null;

/**
 * Go RE2 writes named groups as (?P<name>…); JavaScript as (?<name>…). Accept both so Collector
 * patterns work unchanged.
 */
export function compilePattern(pattern: string): RegExp {
  return new RegExp(pattern.replace(/\(\?P</g, '(?<'));
}

/**
 * Check every action and compile it. Errors name the action index as written in config:
 * `actions[2]: insert needs value or from_attribute`.
 */
export function compileActions(actions: ActionConfig[], listName = 'actions'): { compiled: CompiledAction[]; errors: string[] } {
  const compiled: CompiledAction[] = [];
  const errors: string[] = [];
  actions.forEach((a, i) => {
    const where = `${listName}[${i}]`;
    const fail = (msg: string) => errors.push(`${where}: ${msg}`);
    const action = a.action.toLowerCase() as ActionName;
    if (!ACTION_NAMES.includes(action)) return fail(`unknown action "${a.action}" (expected one of ${ACTION_NAMES.join(', ')})`);
    if (has(a.from_context) && !isContextName(a.from_context!)) {
      return fail(`from_context ${JSON.stringify(a.from_context)} is not supported (use metadata.<key>, with include_metadata: true on the receiver, or client.address)`);
    }
    const sources = [has(a.value), has(a.from_attribute), has(a.from_context)].filter(Boolean).length;
    const c: CompiledAction = { action, key: a.key || undefined };
    let regexError = false;
    const compile = (p: string) => {
      try {
        return compilePattern(p);
      } catch (err) {
        regexError = true;
        fail(`pattern ${JSON.stringify(p)} is not a valid regular expression: ${(err as Error).message}`);
        return undefined;
      }
    };

    switch (action) {
      case 'insert':
      case 'update':
      case 'upsert':
        if (!c.key) return fail(`${action} needs key`);
        if (sources === 0) return fail(`${action} needs value, from_attribute or from_context`);
        if (sources > 1) return fail(`${action} takes only one of value, from_attribute and from_context`);
        if (has(a.pattern)) return fail(`${action} does not use pattern`);
        if (has(a.converted_type)) return fail(`${action} does not use converted_type`);
        c.value = has(a.value) ? a.value : undefined;
        c.fromAttribute = a.from_attribute;
        c.fromContext = a.from_context;
        c.defaultValue = has(a.default_value) ? a.default_value : undefined;
        break;
      case 'delete':
      case 'hash':
        if (!c.key && !a.pattern) return fail(`${action} needs key or pattern`);
        if (sources > 0) return fail(`${action} does not use value, from_attribute or from_context`);
        if (has(a.converted_type)) return fail(`${action} does not use converted_type`);
        if (a.pattern) c.regex = compile(a.pattern);
        break;
      case 'extract': {
        if (!c.key) return fail('extract needs key');
        if (sources > 0) return fail('extract does not use value, from_attribute or from_context');
        if (!a.pattern) return fail('extract needs pattern');
        if (has(a.converted_type)) return fail('extract does not use converted_type');
        c.regex = compile(a.pattern);
        if (!c.regex) break;
        const groups = namedGroups(a.pattern);
        if (groups.named.length === 0) return fail('extract pattern has no named groups like (?P<name>...)');
        if (groups.unnamed > 0) return fail('extract pattern has an unnamed group; name every group');
        c.groupNames = groups.named;
        break;
      }
      case 'convert':
        if (!c.key) return fail('convert needs key');
        if (sources > 0 || has(a.pattern)) return fail('convert does not use value, from_attribute, from_context or pattern');
        if (!a.converted_type) return fail('convert needs converted_type (int, double or string)');
        if (!(CONVERTED_TYPES as readonly string[]).includes(a.converted_type)) {
          return fail(`converted_type "${a.converted_type}" is not one of ${CONVERTED_TYPES.join(', ')}`);
        }
        c.convertedType = a.converted_type as CompiledAction['convertedType'];
        break;
    }
    if (!regexError) compiled.push(c);
  });
  return { compiled, errors };
}

/** Capturing groups of a pattern: their names, and how many have none. Escapes and classes are skipped. */
function namedGroups(pattern: string): { named: string[]; unnamed: number } {
  const named: string[] = [];
  let unnamed = 0;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') inClass = true;
    else if (ch === '(') {
      const m = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(pattern.slice(i));
      if (m) named.push(m[1]);
      else if (pattern[i + 1] !== '?') unnamed++;
    }
  }
  return { named, unnamed };
}
