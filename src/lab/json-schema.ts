// The lab file's JSON Schema, generated from the zod schema so the two never disagree.
import { z } from 'zod';
import { labSchema } from './schema.js';

export function labJsonSchema(): string {
  const schema = z.toJSONSchema(labSchema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  return `${JSON.stringify({ ...schema, title: 'labforge lab file' }, null, 2)}\n`;
}
