// docs/lab-file.md, generated from the lab file's JSON Schema (src/lab/json-schema.ts, itself generated from the zod
// schema): every field with its type, its default and its description, so the reference never disagrees with what
// labforge accepts. Pure: the schema in, Markdown out (scripts/write-lab-docs.js writes it; a test keeps it current).

type Json = { [k: string]: unknown };

/** The schema with the `null` a key with no value may have taken out (json-schema.ts adds it to optional fields). */
function unwrap(s: Json): Json {
  const any = s.anyOf as Json[] | undefined;
  if (any) {
    const rest = any.filter((a) => a.type !== 'null');
    if (rest.length === 1) return { ...unwrap(rest[0]), ...(s.description ? { description: s.description } : {}) };
  }
  return s;
}

/** A value in a table cell: code, with the cell's bars escaped. */
function code(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return `\`${text}\``;
}

function typeOf(s: Json): string {
  const t = unwrap(s);
  if (t.enum) return (t.enum as unknown[]).map(code).join(', ');
  if (t.anyOf) return (t.anyOf as Json[]).map(typeOf).join(' or ');
  const type = t.type as string | undefined;
  if (type === 'array') return `list of ${typeOf((t.items as Json) ?? {})}`;
  if (type === 'object' && !t.properties && t.additionalProperties)
    return `map of ${typeOf(t.additionalProperties as Json)}`;
  const range =
    t.minimum !== undefined || t.maximum !== undefined
      ? ` (${t.minimum ?? t.exclusiveMinimum ?? ''}-${t.maximum ?? ''})`
      : '';
  return `${type ?? 'any'}${range}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ').replace(/</g, '&lt;');
}

function defaultOf(s: Json): string {
  if (s.default === undefined) return '';
  const v = s.default;
  const text = JSON.stringify(v);
  return text.length > 60 ? '(see `lab.yaml`)' : code(v);
}

/** What one item of a list (or value of a map) is called in the type column, by the field's key. */
const NOUNS: Record<string, [string, string]> = {
  provision: ['step', 'steps'],
  disks: ['disk', 'disks'],
  roles: ['role', 'roles'],
};

/** An object schema with fields (a list's item, a map's value, an object), unwrapped; undefined for anything else. */
function fieldsOf(s: Json | undefined): Json | undefined {
  if (!s) return undefined;
  const t = unwrap(s);
  return t.type === 'object' && t.properties ? t : undefined;
}

/** What a field holds below it: an object, a list of objects or a map of objects, with the path segment of one. */
function below(f: Json): { kind: 'object' | 'list' | 'map'; item: Json; segment: string } | undefined {
  if (fieldsOf(f)) return { kind: 'object', item: f, segment: '' };
  if (f.type === 'array') {
    const item = fieldsOf(f.items as Json | undefined);
    if (item) return { kind: 'list', item, segment: '[]' };
  }
  if (f.type === 'object' && !f.properties) {
    const item = fieldsOf(f.additionalProperties as Json | undefined);
    if (item) return { kind: 'map', item, segment: '.<name>' };
  }
  return undefined;
}

/** A list's or map's item schema as a key: the same kind of item (a step on the lab, a role or a node) is documented
 *  once, where its path is shortest, and the other places point there. */
const itemKey = (item: Json) => JSON.stringify(item);

/** Every place (path of one item) each kind of list or map item appears, in document order. */
function places(s: Json, prefix: string, out: Map<string, string[]>): Map<string, string[]> {
  const t = unwrap(s);
  const props = (t.properties as Record<string, Json> | undefined) ?? {};
  for (const [key, field] of Object.entries(props)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const b = below(unwrap(field));
    if (!b) continue;
    if (b.kind !== 'object') out.set(itemKey(b.item), [...(out.get(itemKey(b.item)) ?? []), `${path}${b.segment}`]);
    places(b.item, `${path}${b.segment}`, out);
  }
  return out;
}

/** The rows of an object's fields (and of the objects below them), with their paths. `home`: item key -> the path
 *  where that kind of item is documented. */
function rows(s: Json, prefix: string, home: Map<string, string>): string[] {
  const t = unwrap(s);
  const props = t.properties as Record<string, Json> | undefined;
  if (!props) return [];
  const out: string[] = [];
  const required = new Set((t.required as string[] | undefined) ?? []);
  for (const [key, field] of Object.entries(props)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const f = unwrap(field);
    const b = below(f);
    const [one, many] = NOUNS[key] ?? ['object', 'objects'];
    const at = b && b.kind !== 'object' ? home.get(itemKey(b.item)) : undefined;
    const here = !b || b.kind === 'object' || at === `${path}${b.segment}`;
    const type = !b
      ? typeOf(field)
      : b.kind === 'object'
        ? 'object (below)'
        : `${b.kind === 'list' ? 'list' : 'map'} of ${many}${here ? ' (below)' : ` (as \`${at}\`)`}${
            b.kind === 'map' ? `, by ${one} name` : ''
          }`;
    out.push(
      `| \`${path}\` | ${cell(type)} | ` +
        `${required.has(key) ? 'required' : cell(defaultOf(field))} | ${cell(String(field.description ?? f.description ?? ''))} |`,
    );
    if (b && here) out.push(...rows(b.item, `${path}${b.segment}`, home));
  }
  return out;
}

/** Per kind of list or map item, the path it is documented at: the shortest of its places (the first of those). */
function homes(schema: Json): Map<string, string> {
  const home = new Map<string, string>();
  for (const [key, paths] of places(schema, '', new Map()))
    home.set(
      key,
      paths.reduce((a, b) => (b.length < a.length ? b : a)),
    );
  return home;
}

export function renderLabDocs(schema: Json): string {
  return [
    "<!-- Generated by `npm run docs` (scripts/write-lab-docs.js) from the lab file's JSON Schema; do not edit. -->",
    '# The lab file',
    '',
    'Every field of a lab file: its type, its default (what labforge assumes when the field is left out) and what it',
    'means. A key with no value means its default. The same schema ships as `schema/lab.schema.json` for editors;',
    '`lab.yaml` is the default lab, commented.',
    '',
    '| field | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows(schema, '', homes(schema)),
    '',
  ].join('\n');
}
