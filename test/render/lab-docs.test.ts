// docs/lab-file.md is generated from the lab file's JSON Schema: it must be what `npm run docs` writes now, and name
// every field the schema has.
import fs from 'node:fs';
import path from 'node:path';
import { labJsonSchema } from '../../src/lab/json-schema.js';
import { renderLabDocs } from '../../src/render/lab-docs.js';
import { ROOT } from '../support.js';

const schema = JSON.parse(labJsonSchema()) as { properties: Record<string, unknown> };

test('docs/lab-file.md is current (run `npm run docs` after changing the schema)', () => {
  expect(fs.readFileSync(path.join(ROOT, 'docs', 'lab-file.md'), 'utf8')).toBe(renderLabDocs(schema));
});

test('every top-level field and the fields people look up are in the reference, with defaults', () => {
  const text = renderLabDocs(schema);
  for (const key of Object.keys(schema.properties)) expect(text).toContain(`| \`${key}\` |`);
  expect(text).toMatch(/\| `host\.uri` \| string \| `qemu:\/\/\/system` \|/);
  expect(text).toMatch(/\| `nodes\[\]\.ip` \|/);
  expect(text).toMatch(/\| `network\.forward` \| `nat`, `isolated` \| `nat` \|/);
});

test('a description with | or < stays inside its cell', () => {
  const text = renderLabDocs({
    type: 'object',
    properties: { x: { type: 'string', description: 'a | b <name>', default: 'p|q' } },
  });
  expect(text).toContain('| `x` | string | `p\\|q` | a \\| b &lt;name> |');
});
