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

test("a role's fields are rows of their own with real types; a step and a disk are documented once, pointed to elsewhere", () => {
  const text = renderLabDocs(schema);
  expect(text).not.toMatch(/map of object\b/);
  expect(text).toContain('| `roles` | map of roles (below), by role name |');
  expect(text).toMatch(/\| `roles\.<name>\.cpus` \| integer \(1-128\) \|/);
  expect(text).toContain('| `roles.<name>.provision` | list of steps (as `provision[]`) |');
  expect(text).toContain('| `roles.<name>.disks` | list of disks (as `nodes[].disks[]`) |');
  expect(text).toContain('| `nodes[].provision` | list of steps (as `provision[]`) |');
  expect(text).toContain('| `provision[].copy.mode` | string |');
  expect(text).toContain('| `nodes[].disks[].size` |');
  expect(text).not.toContain('`nodes[].provision[].');
  // Every path a row points to is a row of its own.
  for (const [, to] of text.matchAll(/\(as `([^`]+)`\)/g))
    expect(text).toMatch(new RegExp(`\\| \`${to.replace(/[[\].]/g, '\\$&')}\\.`));
});

test('a description with | or < stays inside its cell', () => {
  const text = renderLabDocs({
    type: 'object',
    properties: { x: { type: 'string', description: 'a | b <name>', default: 'p|q' } },
  });
  expect(text).toContain('| `x` | string | `p\\|q` | a \\| b &lt;name> |');
});
