import type { ZodError, ZodType } from 'zod';

/**
 * Turns zod issues into the lines users see: `exporters.otlphttp.endpont: unknown key (did you
 * mean "endpoint"?)`. Values are not echoed (they may be secrets), except where a schema's own
 * message chose to (durations, sizes).
 */
export function formatIssues(prefix: string, error: ZodError, schema: ZodType): string[] {
  const lines: string[] = [];
  // Unknown keys first: a misspelt key usually explains the "required" issue that follows it.
  const issues = [...error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  for (const issue of issues) {
    const path = joinPath(prefix, issue.path as (string | number)[]);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const hint = suggest(key, knownKeysAt(schema, issue.path as (string | number)[]));
          lines.push(`${joinPath(path, [key])}: unknown key${hint ? ` (did you mean "${hint}"?)` : ''}`);
        }
        break;
      case 'invalid_type':
        lines.push(
          issue.input === undefined
            ? `${path}: required (expected ${yamlName(issue.expected)})`
            : `${path}: expected ${article(yamlName(issue.expected))}${gotPart(issue.input)}`,
        );
        break;
      case 'invalid_union': {
        // string | number (sizes, durations) given a boolean or a map: name the branches.
        const expected = issue.errors.map((branch) => (branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0 ? branch[0]!.expected : undefined));
        const got = gotPart(issue.input);
        if (expected.every((e) => e !== undefined)) lines.push(`${path}: expected ${[...new Set(expected.map((e) => article(yamlName(e!))))].join(' or ')}${got}`);
        else lines.push(`${path}: ${issue.message}${got}`);
        break;
      }
      case 'too_small':
      case 'too_big': {
        const got = gotPart(issue.input);
        const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
        const op = issue.code === 'too_small' ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
        // A schema's own message ("a pipeline needs at least one receiver") is kept; zod's start "Too".
        if (!issue.message.startsWith('Too ')) lines.push(`${path}: ${issue.message}`);
        else if (issue.origin === 'number') lines.push(`${path}: expected a number ${op} ${String(bound)}${got}`);
        else if (issue.origin === 'string' && issue.code === 'too_small' && Number(bound) === 1) lines.push(`${path}: expected a non-empty string${got}`);
        else if (issue.origin === 'array' && issue.code === 'too_small' && Number(bound) === 1) lines.push(`${path}: expected a non-empty list${got}`);
        else lines.push(`${path}: ${issue.message}${got}`);
        break;
      }
      case 'invalid_value':
        // A schema's own message says more than the list of allowed values (zod's own start "Invalid").
        if (!issue.message.startsWith('Invalid')) {
          lines.push(`${path}: ${issue.message}${issue.input === undefined ? '' : ` (got ${describe(issue.input)})`}`); // after a sentence: in parentheses
          break;
        }
        lines.push(`${path}: expected ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}${gotPart(issue.input)}`);
        break;
      default:
        lines.push(`${path}: ${issue.message}`);
    }
  }
  return lines;
}

/** `, got string "x"` when zod reported the input (validate asks it to), else nothing. */
function gotPart(input: unknown): string {
  return input === undefined ? '' : `, got ${describe(input)}`;
}

/** Longest scalar echoed in a message; longer values are cut (a pasted certificate, a payload). */
const MAX_ECHO_CHARS = 60;

/**
 * What was given, with the value for scalars (`string "5_000"`, `number 5`), so the line says what to
 * fix. Values that are secrets are still scrubbed where the message is printed (validate's output
 * and the logs go through redact, and configured secrets are registered before validation fails).
 */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > MAX_ECHO_CHARS ? `${v.slice(0, MAX_ECHO_CHARS)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v;
}

export function joinPath(prefix: string, parts: (string | number)[]): string {
  let out = prefix;
  for (const p of parts) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/** Walks wrappers (default, optional, prefault, pipe) to the object schema at `path`, if any. */
export function knownKeysAt(schema: ZodType, path: (string | number)[]): string[] {
  let s: any = schema;
  const unwrap = () => {
    for (let i = 0; i < 10 && s; i++) {
      const def = s._zod?.def;
      if (!def) return;
      if (def.innerType) s = def.innerType;
      else if (def.type === 'pipe') s = def.in;
      else return;
    }
  };
  unwrap();
  for (const p of path) {
    if (!s) return [];
    const def = s._zod?.def;
    if (def?.type === 'object' && typeof p === 'string') s = def.shape[p];
    else if (def?.type === 'array') s = def.element;
    else if (def?.type === 'record') s = def.valueType;
    else return [];
    unwrap();
  }
  const def = s?._zod?.def;
  return def?.type === 'object' ? Object.keys(def.shape) : [];
}

/** The closest known key within edit distance 2, for renamed or misspelt keys. */
function suggest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** zod's type names as a YAML writer knows them. */
function yamlName(expected: string): string {
  if (expected === 'object' || expected === 'record' || expected === 'map') return 'map';
  if (expected === 'array') return 'list';
  return expected;
}

/** zod's `number` → `a number`, as people write it. */
function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}
