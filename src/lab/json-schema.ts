// The lab file's JSON Schema, generated from the zod schema so the two never disagree.
import * as z from 'zod';
import { labSchema } from './schema.js';

/** A JSON Schema object (or any part of one). */
type Json = { [k: string]: unknown };

/** labforge reads a key with no value (`access:` with every field commented out) as "the default"; the JSON
 *  Schema says the same, so editors accept what labforge accepts. */
function allowNullForOptional(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(allowNullForOptional);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, allowNullForOptional(v)]));
  if (out.type === 'object' && out.properties) {
    const properties = out.properties as Record<string, Json>;
    const required = new Set((out.required as string[] | undefined) ?? []);
    for (const [k, v] of Object.entries(properties)) {
      if (required.has(k)) continue;
      const { description, default: dflt, ...rest } = v;
      properties[k] = {
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
  return `${JSON.stringify({ ...(allowNullForOptional(schema) as Json), title: 'labforge lab file' }, null, 2)}\n`;
}
