// Validation of a parsed lab file: the schema's per-field checks plus the rules across fields (cross-checks.ts).
// Every problem is reported at once, each naming its field path and the bad value.
import { crossFieldIssues, type PathCheck } from './cross-checks.js';
import { formatPath, show, type FieldPath, type LabIssue } from './issues.js';
import { labSchema, type LabParsed } from './schema.js';

function valueAt(root: unknown, p: FieldPath): unknown {
  let cur: unknown = root;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** What validation reads of a zod schema: its definition's kind and the schemas inside it (zod's `def`). */
interface SchemaNode {
  def?: {
    type: string;
    innerType?: SchemaNode;
    element?: SchemaNode;
    valueType?: SchemaNode;
    shape?: Record<string, SchemaNode>;
  };
}

const LAB_SCHEMA = labSchema as unknown as SchemaNode;

/** A schema without its default, prefault and optional wrappers. */
function unwrap(schema: SchemaNode | undefined): SchemaNode | undefined {
  let s = schema;
  while (s?.def && ['default', 'prefault', 'optional'].includes(s.def.type)) s = s.def.innerType;
  return s;
}

/** The known keys of the schema object at a path, for "did you mean" on unknown fields. */
function knownKeys(p: FieldPath): string[] {
  let schema: SchemaNode | undefined = LAB_SCHEMA;
  for (const k of p) {
    let s = unwrap(schema);
    if (s?.def?.type === 'array') s = s.def.element;
    else if (s?.def?.type === 'record') s = s.def.valueType;
    else if (s?.def?.type === 'object' && typeof k === 'string') s = s.def.shape?.[k];
    if (typeof k === 'number' && s?.def?.type !== 'object') continue;
    schema = s;
  }
  const s = unwrap(schema);
  return s?.def?.type === 'object' ? Object.keys(s.def.shape ?? {}) : [];
}

function schemaIssues(raw: unknown): LabIssue[] {
  const result = labSchema.safeParse(raw);
  if (result.success) return [];
  const issues: LabIssue[] = [];
  for (const issue of result.error.issues) {
    const p = issue.path as FieldPath;
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(p);
      for (const key of issue.keys) {
        const near = known.filter((k) => distance(k, key) <= 2);
        const hint = near.length
          ? `did you mean ${near.map((k) => `"${k}"`).join(' or ')}?`
          : `known fields: ${known.join(', ')}`;
        issues.push({ path: [...p, key], severity: 'error', message: `unknown field (${hint})` });
      }
      continue;
    }
    const value = valueAt(raw, p);
    let message = issue.message;
    if (issue.code === 'invalid_type') {
      message =
        value === undefined
          ? `is required (expected ${issue.expected})`
          : `must be ${article(issue.expected)}, got ${show(value, p)}`;
    } else if (issue.code === 'invalid_union') {
      message = `must be a size like 512M, 1G or 1.5G (or a number of MiB), got ${show(value)}`;
    } else if (issue.code === 'invalid_value') {
      message = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${show(value, p)}`;
    } else if (issue.code === 'too_big' && typeof value === 'number') {
      message = `${message}, got ${show(value)}`;
    } else if (value !== undefined && !Array.isArray(value)) {
      message = `${message}, got ${show(value, p)}`;
    }
    issues.push({ path: p, severity: 'error', message });
  }
  return issues;
}

function article(expected: string): string {
  if (expected === 'object') return 'a mapping';
  if (expected === 'array') return 'a list';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `raw` with the schema's defaults filled in wherever an object field is missing, walking the schema's own
 *  objects (a record such as `roles`, or a list, is taken whole). No value is trusted: the cross-field checks
 *  below look at each value's type themselves, so they run even when the schema rejected other fields. */
function withDefaults(schema: SchemaNode | undefined, defaults: unknown, raw: unknown): unknown {
  if (raw === undefined) return defaults;
  const s = unwrap(schema);
  if (s?.def?.type !== 'object' || !isPlain(raw) || !isPlain(defaults)) return raw;
  const out: Record<string, unknown> = { ...raw };
  for (const [k, field] of Object.entries(s.def.shape ?? {})) out[k] = withDefaults(field, defaults[k], raw[k]);
  return out;
}

/** Every field's default (nodes have none: a stand-in node makes the schema accept the empty lab, then goes). */
const SCHEMA_DEFAULTS: Record<string, unknown> = { ...labSchema.parse({ nodes: [{ name: 'n' }] }), nodes: undefined };

export interface Validated {
  lab?: LabParsed;
  issues: LabIssue[];
}

/** A key with no value (`access:` with every field commented out) means "the default", like a missing key. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, dropNulls(v)]),
    );
  return value;
}

/** Runs every check; `lab` is set only when there is no error (warnings may remain). */
export function validateLab(raw: unknown, opts: { checkPath?: PathCheck } = {}): Validated {
  if (raw === null || raw === undefined) raw = {};
  raw = dropNulls(raw);
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      issues: [{ path: [], severity: 'error', message: `the lab file must be a mapping of fields, got ${show(raw)}` }],
    };
  }
  const issues = [
    ...schemaIssues(raw),
    ...crossFieldIssues(withDefaults(LAB_SCHEMA, SCHEMA_DEFAULTS, raw) as Record<string, unknown>, opts.checkPath),
  ];
  // The same problem found by two checks is said once (a Set: linear in the number of problems).
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const key = `${formatPath(i.path)}\0${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (unique.some((i) => i.severity === 'error')) return { issues: unique };
  return { lab: labSchema.parse(raw), issues: unique };
}
