// The lab file's JSON Schema, generated from the zod schema so the two never disagree.
import * as z from 'zod';
import { labSchema } from './schema.js';

type Json = { [k: string]: any };

/** labforge reads a key with no value (`access:` with every field commented out) as "the default"; the JSON
 *  Schema says the same, so editors accept what labforge accepts. */
function allowNullForOptional(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(allowNullForOptional);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, allowNullForOptional(v)]));
  if (out.type === 'object' && out.properties) {
    const required = new Set<string>(out.required ?? []);
    for (const [k, v] of Object.entries(out.properties as Json)) {
      if (required.has(k)) continue;
      const { description, default: dflt, ...rest } = v as Json;
      out.properties[k] = {
        ...(description ? { description } : {}),
        ...(dflt !== undefined ? { default: dflt } : {}),
        anyOf: [rest, { type: 'null' }],
      };
    }
  }
  return out;
}

export function labJsonSchema(): string {
  const schema = z.toJSONSchema(labSchema, { io: 'input', target: 'draft-7' }) as Json;
  return `${JSON.stringify({ ...allowNullForOptional(schema), title: 'labforge lab file' }, null, 2)}\n`;
}
